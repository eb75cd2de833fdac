"""One submission's code in the sandbox: its cells run once in a worker, then its functions
asked; a worker restarted without the cell or function that broke it.

Everything that comes back is plain data (`checks.Outcome`); nothing here judges it.
"""

from __future__ import annotations

import re
import time

from . import wire
from .checks import Call, Outcome
from .sandbox import Limits, Worker, WorkerDied, WorkerTimeout

# What a switched-off function raises in a restarted process. Compiled apart from the
# cells, so that the error points at the line of the student's code that called it.
SWITCHED_OFF = "SwitchedOff"
_SWITCH_OFF_STUB = ("def {name}(*args, **kwargs):\n"
                    "    raise type({exc!r}, (Exception,), {{}})({name!r})\n")
_CALLED_SWITCHED_OFF = re.compile(SWITCHED_OFF + r": (\w+)(?: \((line \d+ of cell .*)\))?\Z", re.S)
# Starts in a row that ran none of the cells: the sandbox itself is failing, not the student.
FUTILE_STARTS = 2


class SubmissionRun:
    """The sandboxed side of one submission, restarted when a cell or a function breaks it.

    A cell that hangs, or that ends the process twice (each time in a fresh one: once may be the
    host's doing), is skipped from then on. A function that does is switched off for the rest of
    the submission: its later calls fail at once with the
    first failure's message, and the next process (started only when another function is
    asked) defines it as a function that raises, so that a function calling it fails at
    once too, saying why, instead of breaking the process again. Every restart is thus
    paid for by a broken cell or function (a crash twice, a hang once), and there are finitely many; a
    start that gets nowhere (the sandbox fails before the first cell) is tried once more,
    and then the remaining calls fail at once, saying so.
    """

    def __init__(self, sandbox: str, limits: Limits, cells: list[dict]):
        self.sandbox, self.limits, self.cells = sandbox, limits, cells
        self.deadline = time.monotonic() + limits.submission_timeout
        self.cell_errors: dict[int, str] = {}
        self.skipped_cells: set[int] = set()
        # Cells and functions whose process died once: the host may have killed it (an operator, the
        # OOM killer, a lost machine), so they are charged only when it happens again in a fresh one.
        self.died_once: set[int | str] = set()
        # function -> (how it broke the process, the message its later calls fail with)
        self.switched_off: dict[str, tuple[str, str]] = {}
        self.unstartable = ""  # why the process cannot be started again, once that is so
        self.worker: Worker | None = None
        # Several checks may ask the same question (the symbolic Hessian, say); a student
        # function is a function of its inputs, so it is asked once.
        self.answers: dict[tuple, Outcome] = {}

    def _remaining(self, limit: float) -> float:
        return max(0.0, min(limit, self.deadline - time.monotonic()))

    def _start(self) -> Worker | None:
        """A worker that has run the cells; None, with `unstartable` saying why, when none can be had."""
        futile = 0
        while self._remaining(1) > 0:
            order = [i for i in range(len(self.cells)) if i not in self.skipped_cells]
            sent = [self.cells[i] for i in order] + self._switch_off_cells()
            current, worker = None, None
            try:
                worker = Worker(self.sandbox, self.limits)
                worker.send({"op": "cells", "cells": sent})
                while True:
                    message = worker.receive(self._remaining(self.limits.cell_timeout))
                    event = message.get("event")
                    if event == "cells_done":
                        return worker
                    index = message.get("index")
                    if not isinstance(index, int) or not 0 <= index < len(sent):
                        raise WorkerDied("the grader's channel carried a malformed message")
                    current = order[index] if index < len(order) else None
                    if event == "cell_done" and message.get("error") and current is not None:
                        self.cell_errors.setdefault(current, str(message["error"])[:500])
            except (WorkerDied, WorkerTimeout) as exc:
                if worker is not None:
                    worker.close()
                if current is None:
                    # Nothing of the student's to skip: the sandbox (or the grader's own cell) failed.
                    futile += 1
                    why = str(exc) or "it did not answer in time"
                    if futile >= FUTILE_STARTS:
                        self.unstartable = (f"the notebook's process could not be started ({why}), "
                                            f"{FUTILE_STARTS} times in a row, so the grader stopped trying")
                        return None
                    continue
                futile = 0
                if isinstance(exc, WorkerDied) and current not in self.died_once:
                    self.died_once.add(current)
                    continue
                self.skipped_cells.add(current)
                if isinstance(exc, WorkerTimeout):
                    self.cell_errors[current] = (f"did not finish within {self.limits.cell_timeout:g} s "
                                                 "(an infinite loop?); the cell was skipped")
                else:
                    self.cell_errors[current] = f"ended the notebook's process: {exc}; the cell was skipped"
        self.unstartable = self._out_of_time()
        return None

    def _out_of_time(self) -> str:
        return f"the submission used up its {self.limits.submission_timeout:g} s time budget"

    def _switch_off_cells(self) -> list[dict]:
        if not self.switched_off:
            return []
        stubs = "".join(_SWITCH_OFF_STUB.format(name=name, exc=SWITCHED_OFF) for name in self.switched_off)
        return [{"label": "(grader) switched-off functions",
                 "source": f"exec(compile({stubs!r}, '<grader>', 'exec'))"}]

    def calls(self, calls: list[Call]) -> list[Outcome]:
        """The outcome of each call. The worker is asked them all in one message and answers in
        order (a round trip each cost about as much as a small call itself); a call made before
        (same function, inputs and kind) is not repeated. One that breaks the process switches
        its function off, and a new worker is asked the rest."""
        requests = [self._request(call) for call in calls]
        skipped: dict[bytes, Outcome] = {}
        pending = {request: call for request, call in zip(requests, calls) if request not in self.answers}
        while pending:
            for request, call in list(pending.items()):
                reason = self._not_run(call)
                if reason:
                    skipped[request] = Outcome("skipped", message=reason)
                    del pending[request]
            if pending:
                self._ask(pending)
        return [self.answers.get(request) or skipped[request] for request in requests]

    @staticmethod
    def _request(call: Call) -> bytes:
        # The request is its own key: the same call encodes to the same bytes.
        return wire.body({"function": call.function, "args": wire.encode(list(call.args)), "expect": call.expect})

    def _not_run(self, call: Call) -> str:
        """Why a call is not asked (its function is switched off, time is up, no worker can
        start), or "" when it is."""
        if call.function in self.switched_off:
            return self.switched_off[call.function][1]
        if self._remaining(1) <= 0:
            return self._out_of_time()
        if self.worker is None:
            self.worker = None if self.unstartable else self._start()
            if self.worker is None:
                return self.unstartable
        return ""

    def _ask(self, pending: dict[bytes, Call]) -> None:
        """Ask the worker the pending calls and take their answers out of `pending` as they come,
        until one breaks the process (its function is then switched off)."""
        message = wire.dumps_calls(list(pending))
        for request, call in list(pending.items()):
            if self._remaining(1) <= 0:
                self._drop_worker()  # still at the rest of the message, which is not waited for
                return
            del pending[request]
            timeout = self._remaining(self.limits.call_timeout)
            try:
                if message:  # sent with the first call: failing to take it is that call's failure
                    self.worker.send(message, timeout)
                    message = b""
                answer = self.worker.expect("result", timeout)
            except WorkerTimeout:
                why = f"no answer within {timeout:g} s (an infinite loop, or far too slow)"
                self._switch_off(call.function, "timed out", why)
                self.answers[request] = Outcome("timeout", message=why)
                return
            except WorkerDied as exc:
                if call.function not in self.died_once:
                    self.died_once.add(call.function)
                    self._drop_worker()
                    pending[request] = call  # asked again, first, of a fresh process
                    pending.update({r: pending.pop(r) for r in list(pending) if r != request})
                    return
                self._switch_off(call.function, "crashed the process", str(exc))
                self.answers[request] = Outcome("crash", message=str(exc))
                return
            self.answers[request] = self._blame_switched_off(call.function, _outcome(answer))

    def _switch_off(self, function: str, how: str, why: str) -> None:
        self._drop_worker()
        self.switched_off[function] = (how, f"{function} was not called again after it {how}: {why}")

    def _blame_switched_off(self, function: str, outcome: Outcome) -> Outcome:
        """An error raised by a switched-off function that `function` called, told as such."""
        match = _CALLED_SWITCHED_OFF.match(outcome.message) if outcome.status == "error" else None
        if match is None or match[1] not in self.switched_off or match[1] == function:
            return outcome
        used, where = match[1], f" (called at {match[2]})" if match[2] else ""
        return Outcome("broken_dependency", message=f"{used}, which {function} uses, "
                                                    f"{self.switched_off[used][0]} earlier{where}")

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def close(self) -> None:
        self._drop_worker()


def _outcome(message: dict) -> Outcome:
    status = message.get("status")
    if status not in ("ok", "error", "missing", "bad_value"):
        return Outcome("bad_value", message="a malformed answer")
    if status != "ok":
        return Outcome(status, message=str(message.get("message", ""))[:1000])
    try:
        value = wire.decode(message.get("value"))
    except wire.WireError as exc:
        return Outcome("bad_value", message=f"a value the grader cannot accept ({exc})")
    meta = message.get("meta") if isinstance(message.get("meta"), dict) else {}
    return Outcome("ok", value=value, meta=_plain_meta(meta))


def _plain_meta(meta: dict) -> dict:
    """Keep only the facts of known shape; the worker reports them, so they are not trusted further."""
    out = {}
    if isinstance(meta.get("type"), str):
        out["type"] = meta["type"][:100]
    if isinstance(meta.get("dtype"), str):
        out["dtype"] = meta["dtype"][:50]
    observed = meta.get("observed")
    if isinstance(observed, dict):
        out["observed"] = {name[:100]: fact[:1000] if isinstance(fact, str) else fact
                           for name, fact in list(observed.items())[:20]
                           if isinstance(name, str) and (fact is None or isinstance(fact, (bool, int, float, str)))}
    calls = meta.get("calls")
    if isinstance(calls, list):
        out["calls"] = [c if isinstance(c, int) and not isinstance(c, bool) else None for c in calls[:20]]
    mutated = meta.get("mutated")
    if isinstance(mutated, list):
        out["mutated"] = [m for m in mutated[:20] if isinstance(m, int) and not isinstance(m, bool)]
    return out
