"""The local back end of `grade`: units graded in a process pool of this machine.

Each process runs `backend.run_unit`; a sandbox's zygote started ahead (`sandbox.Spares`) is
handed to each process as it starts.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator

from .backend import Graded, run_unit
from .errors import UserError
from .grading import Unit
from .policy import Policy
from .sandbox import Spares, adopt

# A grading process that dies was killed from outside (a student's code runs in a sandbox below it):
# an operator, the OOM killer. Its units are graded again in a new pool, this many times at most.
POOL_RESTARTS = 3


def in_pool(units: list[Unit], jobs: int, policy: Policy | None, started: Callable[[], None] = lambda: None,
            spares: Spares | None = None) -> Iterator[Graded]:
    """Each unit's `run_unit` as it finishes, in `jobs` processes (here, with one); `started` is called
    once they exist, and they take their sandboxes' zygotes from `spares`, started ahead."""
    if jobs <= 1 or len(units) <= 1:
        if spares is not None and units:
            spares.claim_here()
        yield from (run_unit(unit, policy) for unit in units)
        return
    pending = {id(unit): unit for unit in units}
    for attempt in range(POOL_RESTARTS + 1):
        claiming = {} if spares is None or attempt else {"initializer": adopt, "initargs": (spares.claims,)}
        with ProcessPoolExecutor(max_workers=jobs, **claiming) as pool:
            futures = {pool.submit(run_unit, unit, policy): unit for unit in pending.values()}
            if not attempt:
                if spares is not None:
                    spares.release()
                started()
            for future in as_completed(futures):
                if isinstance(future.exception(), BrokenProcessPool):
                    continue
                del pending[id(futures[future])]
                yield future.result()
        if not pending:
            return
    raise UserError(f"the grading processes were killed {POOL_RESTARTS + 1} times (out of memory?); what was "
                    f"graded is kept, and grading again resumes with the {len(pending)} submissions left")
