"""minibatch SGD with np.array_split into N // batch_size batches

source: a common idiom, np.array_split(indices, n_samples // batch_size)
task: minibatch_sgd
verdict: wrong
name: np.array_split's batches instead of slices of batch_size
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    w = np.array(w0, dtype=float)
    path = [w]
    n_batches = max(len(y) // batch_size, 1)
    for _ in range(epochs):
        for b in np.array_split(rng.permutation(len(y)), n_batches):
            w = w - lr * 2 * X[b].T @ (X[b] @ w - y[b]) / len(b)
            path.append(w)
    return np.array(path)
