"""minibatch SGD with XᵀXw − Xᵀy, neither averaged nor doubled

source: HelloBert/code1 小批量的随机梯度下降.py (g = x_batch.T.dot(x_batch.dot(theta) - y_batch))
task: minibatch_sgd
verdict: wrong
name: the gradient without its factor 2
"""
# Two mistakes: a sum and no factor 2. With batch_size 1 a sum is the mean, and the missing 2 alone shows.
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
            g = X[b].T.dot(X[b].dot(w) - y[b])
            w = w - lr * g
            path.append(w)
    return np.array(path)
