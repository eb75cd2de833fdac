"""The sandbox's warm-up for critical_points: run once in each zygote, before it forks the workers,
where students' code runs (so nothing secret here). sympy's first Hessian, expansion and
substitution cost about a second in every process. Not matplotlib: graded cells do not plot (the
notebook's plots are in show cells, which grading does not run), and importing it here cost every
zygote half a second."""

import sympy

a, b = sympy.symbols("a b")
m = sympy.hessian((sympy.Float(1.5) - a * b * sympy.Float(2.0)) ** 2, (a, b))
sympy.expand(m[0, 1])
m.subs({a: 0.5, b: 1.0}).evalf()
