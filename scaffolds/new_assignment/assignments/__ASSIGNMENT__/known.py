"""The known mistakes of this assignment: the name a verdict gives each, the advice, and a
model of what each returns. The files in ``mistakes/`` start their docstring with the same
names; `autograder vet` checks that each is named where it is made."""

ASCENT = "gradient ascent (the gradient's sign flipped)"
LR_IGNORED = "the learning rate ignored"

ADVICE = {
    ASCENT: "Descent moves against the gradient: θ − η·∇L(θ), not θ + η·∇L(θ).",
    LR_IGNORED: "The step is the gradient times the learning rate η passed in: θ − η·∇L(θ).",
}

# name -> what that mistake returns, from θ, ∇L(θ) and η
MODELS = (
    (ASCENT, lambda theta, grad, lr: theta + lr * grad),
    (LR_IGNORED, lambda theta, grad, lr: theta - grad),
)
