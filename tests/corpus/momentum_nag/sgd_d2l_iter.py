"""minibatch SGD with a batch generator

source: d2l.ai 3.2 `data_iter` (indices[i: min(i + batch_size, num_examples)]) with the pinned generator
task: minibatch_sgd
verdict: right
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    n = len(y)

    def batches():
        indices = rng.permutation(n)
        for i in range(0, n, batch_size):
            j = indices[i: min(i + batch_size, n)]
            yield np.asarray(X, dtype=float)[j], np.asarray(y, dtype=float)[j]

    w = np.array(w0, dtype=float)
    history = [w]
    for _ in range(epochs):
        for xb, yb in batches():
            w = w - lr * 2 * xb.T @ (xb @ w - yb) / len(yb)
            history.append(w)
    return np.array(history)
