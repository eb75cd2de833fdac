"""an empty extra batch

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
        for k in range(n // batch_size + 1):  # one more for the remainder
            batch = order[k * batch_size : (k + 1) * batch_size]
            residual = X[batch] @ w - y[batch]
            w = w - lr * 2.0 * (X[batch].T @ residual) / len(batch)
            path.append(w)
    return np.array(path)
