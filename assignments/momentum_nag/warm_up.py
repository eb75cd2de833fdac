"""The sandbox's warm-up for momentum_nag: run once in each zygote, before it forks the workers,
where students' code runs (so nothing secret here). numpy.random is imported on its first use,
about 15 ms in every process: minibatch SGD's default_rng would pay it in every worker."""

import numpy as np

np.random.default_rng(0).permutation(3)
np.linalg.norm(np.ones(2))
