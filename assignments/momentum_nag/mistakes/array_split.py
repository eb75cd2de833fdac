"""np.array_split's batches instead of slices of batch_size

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
        for batch in np.array_split(rng.permutation(n), max(n // batch_size, 1)):
            residual = X[batch] @ w - y[batch]
            w = w - lr * (2.0 / len(batch)) * (X[batch].T @ residual)
            path.append(w)
    return np.array(path)
