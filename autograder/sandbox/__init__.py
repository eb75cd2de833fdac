"""The sandbox: where a student's code runs, and how the grader talks to it.

- `limits`: what a sandbox allows one submission (`Limits`), and how a worker fails.
- `bwrap`: which sandbox this machine can give (`choose_sandbox`), the bubblewrap command.
- `zygotes`: the warm process that forks the workers, and this process's zygotes.
- `worker`: one worker as the grader sees it (`Worker`): the channel, deadlines, its end.
- `inside` and `confine`: what runs inside the sandbox (never imported by the grader's logic).
"""

from .bwrap import BWRAP, NO_SANDBOX, PACKAGE_DIR, bwrap_status, choose_sandbox
from .limits import Limits, WorkerDied, WorkerTimeout
from .worker import Worker, describe_signal
from .zygotes import Spares, adopt, close_zygotes, prestart, warm, zygote

__all__ = ["BWRAP", "NO_SANDBOX", "PACKAGE_DIR", "Limits", "Spares", "Worker", "WorkerDied", "WorkerTimeout",
           "adopt", "bwrap_status", "choose_sandbox", "close_zygotes", "describe_signal", "prestart", "warm",
           "zygote"]
