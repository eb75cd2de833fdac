"""minibatch SGD that makes its generator inside the epoch loop

source: a seeded loader rebuilt per epoch (DataLoader(generator=torch.Generator().manual_seed(seed)) inside the loop)
task: minibatch_sgd
verdict: wrong
name: a new generator every epoch
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(epochs):
        order = np.random.default_rng(seed).permutation(len(y))
        for i in range(0, len(y), batch_size):
            b = order[i:i + batch_size]
            w = w - lr * (2.0 / len(b)) * X[b].T @ (X[b] @ w - y[b])
            path.append(w)
    return np.array(path)
