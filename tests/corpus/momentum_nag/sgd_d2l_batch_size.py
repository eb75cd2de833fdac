"""minibatch SGD that divides by batch_size

source: d2l.ai 3.2 `sgd(params, lr, batch_size)`: param -= lr * param.grad / batch_size (for every batch)
task: minibatch_sgd
verdict: wrong
name: the last, smaller batch divided by batch_size
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
        for i in range(0, len(y), batch_size):
            b = order[i:i + batch_size]
            grad_sum = 2 * X[b].T @ (X[b] @ w - y[b])
            w = w - lr * grad_sum / batch_size
            path.append(w)
    return np.array(path)
