"""minibatch SGD looping over N // batch_size + 1 batches

source: liketheflower/linear_gradient_descent (batch_idx = range(N//batch_size+1)), without its empty-batch skip
task: minibatch_sgd
verdict: wrong
name: an empty extra batch
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    w = np.array(w0, dtype=float)
    path = [w]
    n = len(y)
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(n // batch_size + 1):
            b = order[i * batch_size:(i + 1) * batch_size]
            residual = X[b] @ w - y[b]
            w = w - lr * 2 * X[b].T @ residual / len(b)
            path.append(w)
    return np.array(path)
