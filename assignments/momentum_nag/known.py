"""The known mistakes of this assignment: the name a verdict gives each, and the advice.

The names are spelled here once; the mistake files under ``mistakes/`` start their
docstring with the same text, and the tests hold both to it.
"""

WITHOUT_THETA0 = "a trajectory without θ0"
ROW_TOO_MANY = "one row too many"
ALIASED = "every row the same array object"
GD_SIGN = "gradient ascent (the gradient's sign flipped)"
MOMENTUM_SIGN = "Momentum's sign flipped"
EMA = "the EMA form (1−β)·g"
NO_MOMENTUM = "gradient descent instead of Momentum"
LOOK_AHEAD_REPORTED = "the look-ahead point reported (PyTorch/Keras convention)"
NAG_IS_MOMENTUM = "NAG that is plain Momentum"
LOOK_AHEAD_SIGN = "a look-ahead with the wrong sign"
NO_SHUFFLE = "no shuffling"
RESEEDED = "a new generator every epoch"
LEGACY_RNG = "the legacy generator np.random.seed"
DROPPED_BATCH = "a dropped last batch"
SUM_LOSS = "a sum instead of a mean"
NO_FACTOR_TWO = "the gradient without its factor 2"
OFF_BY_ONE = "a step count off by one"
NUMBER_FOR_NONE = "a number instead of None"
BUDGET_SHORT = "the budget's last step never tested"
BUDGET_LONG = "steps counted beyond the budget"
NOT_STRICT = "‖∇L‖ ≤ tol instead of < tol"
EARLY_STOP = "a loop that stops before `steps` updates"
MOMENTUM_TWICE = "the momentum term added twice"
NAG_FOR_MOMENTUM = "Nesterov's update instead of Momentum's"
BETA_IGNORED = "the argument beta ignored"
VELOCITY_ONES = "a velocity that starts at ones, not zeros"
NAG_NEW_VELOCITY = "NAG stepped with the new velocity (θ + β·m_t − η·g)"
LOOK_AHEAD_NO_BETA = "a look-ahead without β (θ + m instead of θ + β·m)"
PARTIAL_BY_BATCH_SIZE = "the last, smaller batch divided by batch_size"
EMPTY_BATCH = "an empty extra batch"
ARRAY_SPLIT = "np.array_split's batches instead of slices of batch_size"
NORM_SCALED = "the gradient's norm divided by n or √n"
NOT_EUCLIDEAN = "another size than the Euclidean norm ‖∇L‖"

ADVICE = {
    WITHOUT_THETA0: "The trajectory starts with θ0 itself: row 0 is theta0, row t is θ_t, so a run of "
    "`steps` updates has steps+1 rows.",
    ROW_TOO_MANY: "A run of `steps` updates has exactly steps+1 rows (θ0 … θ_steps); your loop makes one update too many.",
    ALIASED: "Every row is the same array object, so all rows show the last iterate. Build a new array "
    "each step (theta = theta + m, not theta += m) or append a copy.",
    GD_SIGN: "Gradient descent moves against the gradient: θ_t = θ_{t−1} − η·∇L(θ_{t−1}).",
    MOMENTUM_SIGN: "The movement is m_t = β·m_{t−1} − η·∇L(θ_{t−1}) and it is added: θ_t = θ_{t−1} + m_t "
    "(the last movement keeps its sign, the gradient is subtracted).",
    EMA: "This assignment pins the lecture's form m_t = β·m_{t−1} − η·∇L: the gradient enters with the "
    "full step η, not with (1−β)·η as in the exponential-moving-average form.",
    NO_MOMENTUM: "Momentum keeps the last movement: m_t = β·m_{t−1} − η·∇L(θ_{t−1}); your steps ignore β·m_{t−1}.",
    LOOK_AHEAD_REPORTED: "You return the look-ahead point θ_t + β·m_t, as PyTorch (nesterov=True), Keras and "
    "optax do. The lecture's NAG returns θ_t = θ_{t−1} + m_t and uses the look-ahead only to evaluate "
    "the gradient. Fingerprint: your θ_1 should equal Momentum's θ_1 = θ0 − η·∇L(θ0).",
    NAG_IS_MOMENTUM: "NAG evaluates the gradient at the look-ahead point θ_{t−1} + β·m_{t−1}, not at "
    "θ_{t−1}; your trajectory is plain Momentum's.",
    LOOK_AHEAD_SIGN: "The look-ahead point is θ_{t−1} + β·m_{t−1} (where the momentum is about to carry "
    "you), not θ_{t−1} − β·m_{t−1}.",
    NO_SHUFFLE: "Every epoch draws order = rng.permutation(N) and walks through X[order]; your batches "
    "follow the data in its stored order.",
    RESEEDED: "Create rng = np.random.default_rng(seed) once, before the first epoch; a new generator in "
    "every epoch repeats the same order every epoch.",
    LEGACY_RNG: "Use rng = np.random.default_rng(seed) and rng.permutation(N); np.random.seed with "
    "np.random.permutation draws different numbers.",
    DROPPED_BATCH: "The last batch of an epoch may be smaller than batch_size and is used too: an epoch "
    "has ceil(N / batch_size) updates.",
    SUM_LOSS: "The batch loss is the mean of (x·w − y)² over the batch, so the gradient is "
    "(2/|B|)·X_Bᵀ(X_B·w − y_B); a sum makes the step |B| times too large.",
    NO_FACTOR_TWO: "The derivative of (x·w − y)² is 2·(x·w − y)·x: the gradient is (2/|B|)·X_Bᵀ(X_B·w − y_B).",
    OFF_BY_ONE: "t counts updates: t = 0 is θ0 itself (test ‖∇L(θ0)‖ before the first update), and the "
    "answer is the first t whose θ_t has ‖∇L(θ_t)‖ < tol.",
    NUMBER_FOR_NONE: "When a method does not get below tol within 10 000 steps, its entry is None, not a number.",
    BUDGET_SHORT: "θ_10000 counts too: t runs from 0 to 10 000 inclusive (range(10_001) tests the 10 001 iterates "
    "θ_0 … θ_10000); a count of exactly 10 000 is an answer, not None.",
    BUDGET_LONG: "The budget is 10 000 steps: t runs from 0 to 10 000 inclusive, and a method that first gets "
    "below tol at t = 10 001 or later gives None.",
    EARLY_STOP: "Make exactly `steps` updates: the trajectory has steps+1 rows even when the gradient becomes "
    "tiny (or zero) on the way; steps_to_tolerance is where a run stops at a tolerance.",
    MOMENTUM_TWICE: "The movement m_t = β·m_{t−1} − η·∇L(θ_{t−1}) already holds β·m_{t−1}: the update is "
    "θ_t = θ_{t−1} + m_t, without adding β·m_{t−1} once more.",
    NAG_FOR_MOMENTUM: "Momentum evaluates the gradient at θ_{t−1} itself: m_t = β·m_{t−1} − η·∇L(θ_{t−1}); the "
    "look-ahead point θ_{t−1} + β·m_{t−1} belongs to NAG.",
    BETA_IGNORED: "Use the beta passed in: the hidden cases call your function with other values of β than "
    "your notebook's BETA (or 0.9).",
    VELOCITY_ONES: "The movement starts at m_0 = 0 (np.zeros_like(theta)): the first step is plain gradient "
    "descent, θ_1 = θ0 − η·∇L(θ0).",
    NAG_NEW_VELOCITY: "In the lecture's NAG the new point is θ_t = θ_{t−1} + m_t with m_t = β·m_{t−1} − "
    "η·∇L(θ_{t−1} + β·m_{t−1}); the form θ + β·m_t − η·g is PyTorch's, which keeps the look-ahead point "
    "and takes the gradient there, not at a second look-ahead.",
    LOOK_AHEAD_NO_BETA: "The look-ahead point is θ_{t−1} + β·m_{t−1}: where the momentum, scaled by β, is about "
    "to carry you.",
    PARTIAL_BY_BATCH_SIZE: "The batch loss is the mean over the batch itself: divide by len(batch), which is "
    "smaller than batch_size for the last batch of an epoch.",
    EMPTY_BATCH: "An epoch has ceil(N / batch_size) batches: when batch_size divides N, N // batch_size + 1 "
    "makes an empty last batch (a nan, or a repeated row).",
    ARRAY_SPLIT: "np.array_split spreads the remainder over its pieces; the batches are consecutive slices "
    "order[k·batch_size:(k+1)·batch_size], so only the last one may be smaller.",
    NORM_SCALED: "Compare the Euclidean norm itself, np.linalg.norm(g) < tol, not divided by the dimension.",
    NOT_EUCLIDEAN: "Compare the Euclidean norm np.linalg.norm(g) = √(Σ g_i²) with tol: not the sum of the "
    "components, their absolute values or their largest one, nor the squared norm.",
    NOT_STRICT: "θ_t qualifies when ‖∇L(θ_t)‖ < tol, strictly: a norm equal to tol is not below it.",
}
