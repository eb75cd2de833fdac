"""optim-autograder: per-student optimisation notebooks and a sandboxed grader.

This module stays import-free: the sandbox worker imports the package too.
"""

__version__ = "0.1.0"
