"""mixed partial without the product rule

task: symbolic_hessian
"""
import sympy as sp


def symbolic_hessian():
    w1, w2 = sp.symbols("w1 w2")
    x, y_hat = sp.nsimplify(X), sp.nsimplify(Y_HAT)
    dl_dw1 = -2 * x * w2 * (y_hat - w1 * w2 * x)
    dl_dw2 = -2 * x * w1 * (y_hat - w1 * w2 * x)
    # d/dw2 of dl_dw1 treating the leading w2 as a constant:
    mixed = -2 * x * (y_hat - w1 * w2 * x)
    return sp.Matrix([[sp.diff(dl_dw1, w1), mixed], [mixed, sp.diff(dl_dw2, w2)]])
