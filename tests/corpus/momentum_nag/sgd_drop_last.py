"""minibatch SGD over N // batch_size full batches only

source: PyTorch DataLoader(drop_last=True) behaviour written by hand
task: minibatch_sgd
verdict: wrong
name: a dropped last batch
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for k in range(len(y) // batch_size):
            b = order[k * batch_size:(k + 1) * batch_size]
            w = w - lr * 2 * X[b].T @ (X[b] @ w - y[b]) / len(b)
            path.append(w)
    return np.array(path)
