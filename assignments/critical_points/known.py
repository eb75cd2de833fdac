"""The known mistakes of this assignment, by the name a verdict gives each.

Spelt here once: the checks name a mistake with these constants (advice beside the model of
what it returns), and each file under ``mistakes/`` starts its docstring with one of them;
`autograder vet` and the tests hold the two to each other.
"""

# loss_gradient, numerical_gradient, numerical_hessian
GRADIENT_SIGN = "gradient sign flipped"
FACTOR_TWO = "factor 2 missing"
INNER_FACTOR_X = "inner derivative factor X missing"
PARTIALS_SWAPPED = "partial derivatives swapped"
FORWARD = "forward differences"
BACKWARD = "backward differences"
SCALED_STEP = "step scaled by max(1, |θi|)"
CENTRAL_WITHOUT_TWO = "central difference without the 2"
H_IGNORED = "the argument h ignored"
HESSIAN_SCALED_STEP = "Hessian step scaled by max(1, |θi|)"
HESSIAN_STEP_IGNORED = "Hessian step h ignored"
NOT_SYMMETRISED = "Hessian not symmetrised"
MIXED_STEP = "mixed entries with another step than h"

# symbolic_hessian
NO_PRODUCT_RULE = "mixed partial without the product rule"
HESSIAN_SIGN = "Hessian sign flipped"
LECTURE_NUMBERS = "the lecture's numbers instead of yours"

# classify_critical_point
MIN_MAX_SWAPPED = "local minimum and local maximum swapped"
TOL_IGNORED = "the tol argument ignored"
ABSOLUTE_TOL = "absolute instead of relative tolerance"
EXACTLY_TAU = "an eigenvalue exactly at ±τ counted beyond it (≥ instead of >)"
UNHALVED = "eigenvalues of H + H.T (not halved)"
NO_MAX_ONE = "threshold without max(1, ·)"
MIXED_SIGNS_DEGENERATE = "mixed signs with a zero eigenvalue called degenerate"
NO_DEGENERATE = "no degenerate class"
NOT_A_LABEL = "label not one of the four"

# escape_direction, escape_saddle
NOT_NORMALISED = "eigenvector not normalised"
LARGEST_EIGENVALUE = "eigenvector of the largest eigenvalue"
WRONG_EIGENVALUE = "eigenvector of the wrong eigenvalue"
ROW_NOT_COLUMN = "a row of eigh's matrix instead of a column"
AT_TAU = "an eigenvalue exactly at −τ counted below it (≤ instead of <)"
MOVED_WITHOUT_CURVATURE = "moved without negative curvature"
NO_ESCAPE = "no escape step"
RETURNED_DIRECTION = "returned the direction instead of the new point"
STEP_IGNORED = "step ignored"
WRONG_SIDE = "escape sign not chosen to decrease f"
