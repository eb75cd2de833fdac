"""the last, smaller batch divided by batch_size

task: minibatch_sgd
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.array(w0, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(y)
    path = [w]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            residual = X[batch] @ w - y[batch]
            w = w - lr * (2.0 / batch_size) * (X[batch].T @ residual)
            path.append(w)
    return np.array(path)
