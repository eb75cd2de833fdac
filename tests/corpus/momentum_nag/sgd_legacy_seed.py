"""minibatch SGD seeded the old way

source: Géron, Hands-On ML ch. 4 (np.random.seed(42); rnd.permutation(m))
task: minibatch_sgd
verdict: wrong
name: the legacy generator np.random.seed
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    np.random.seed(seed)
    w = np.array(w0, dtype=float)
    path = [w]
    for _ in range(epochs):
        order = np.random.permutation(len(y))
        for i in range(0, len(y), batch_size):
            b = order[i:i + batch_size]
            w = w - lr * (2.0 / len(b)) * X[b].T @ (X[b] @ w - y[b])
            path.append(w)
    return np.array(path)
