"""minibatch SGD with shuffled copies of the data

source: Géron, Hands-On ML ch. 4, mini-batch gradient descent (shuffled_indices = permutation(m); X_b[shuffled_indices])
task: minibatch_sgd
verdict: right
"""
import numpy as np


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    w = np.array(w0, dtype=float)
    m = len(y)
    path = [w]
    for _ in range(epochs):
        idx = rng.permutation(m)
        X_s, y_s = X[idx], y[idx]
        for i in range(0, m, batch_size):
            xi, yi = X_s[i:i + batch_size], y_s[i:i + batch_size]
            gradients = 2 / len(yi) * xi.T @ (xi @ w - yi)
            w = w - lr * gradients
            path.append(w)
    return np.array(path)
