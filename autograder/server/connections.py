"""What the server enforces on its own connections when nothing stands in front of it.

Slow or idle clients must not starve the others: a client that opens a connection and
trickles its request headers (or never sends them) costs a file descriptor for as long
as it likes, and a thousand of them used to exhaust the process's descriptors.
So:

- at most `cap` connections at once (kept below the descriptor limit, see `fit_cap`);
- a connection that has not sent a whole request head within `HEADER_SECONDS` of opening
  (or of its last answer) is closed;
- at the cap, a new connection closes the oldest connection that is still waiting for its
  request head, if there is one (a real request's head arrives within milliseconds, so
  it is a slow or idle client that goes); only when every connection is busy with a request
  is the new one refused, with 503;
- a request body that stalls for `BODY_IDLE_SECONDS`, or arrives slower than
  `BODY_MIN_RATE` on average, is answered 408 (`BodyTimeouts`);
- refused and closed connections are logged as one summary line per `LOG_EVERY` seconds,
  never one line per connection.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time

from starlette.exceptions import HTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0
BODY_IDLE_SECONDS = 30.0
BODY_MIN_RATE = 32 * 1024  # bytes per second, on average over the whole body, after BODY_IDLE_SECONDS
LOG_EVERY = 10.0
# asyncio accepts up to the listen backlog's number of connections in one go, before any of them
# reaches the cap below, so the backlog is the burst that may go over the cap (a client beyond
# the kernel's queue of that length tries again a second later).
BACKLOG = 128
# Descriptors kept for everything else: that burst, as many connections closed but not yet
# released, a SQLite connection (with its WAL and shared memory) per worker thread, the files
# being stored, the grading processes' pipes, the log.
FD_RESERVE = 2 * BACKLOG + 64
MIN_CAP = 16
REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
           b"retry-after: 5\r\ncontent-length: 69\r\n\r\n"
           b"The server is busy with as many requests as it takes; try again soon.")
log = logging.getLogger("autograder.server")


def fit_cap(wanted: int) -> tuple[int, int]:
    """(connection cap, descriptor limit): the soft limit of open files raised to the hard one where
    it is lower, and the cap kept FD_RESERVE below it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return max(MIN_CAP, min(wanted, soft - FD_RESERVE)), soft


class _Tally:
    """Refused and closed connections, logged once per LOG_EVERY seconds at most."""

    def __init__(self):
        self.refused = self.evicted = self.timed_out = 0
        self.pending: asyncio.TimerHandle | None = None

    def count(self, loop: asyncio.AbstractEventLoop, kind: str, cap: int) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if self.pending is None:
            self.pending = loop.call_later(LOG_EVERY, self.flush, cap)

    def flush(self, cap: int) -> None:
        self.pending = None
        if self.refused or self.evicted or self.timed_out:
            log.warning("connections in the last %.0f s: %d refused at the cap of %d (all busy), %d idle ones closed "
                        "for newer ones, %d closed for sending no request within %.0f s", LOG_EVERY, self.refused, cap,
                        self.evicted, self.timed_out, HEADER_SECONDS)
        self.refused = self.evicted = self.timed_out = 0


def guarded_protocol(cap: int) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with the cap, the eviction and the header deadline above."""
    tally = _Tally()

    class Guarded(H11Protocol):
        waiting_since: float | None = None  # when the connection began to wait for a request head
        refused = False
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            if len(self.connections) >= cap and not self._evict_one():
                self.refused = True
                tally.count(self.loop, "refused", cap)
                transport.write(REFUSED)
                transport.close()
                return
            super().connection_made(transport)
            self._await_request()

        def _evict_one(self) -> bool:
            idle = [c for c in self.connections if isinstance(c, Guarded) and c.waiting]
            if not idle:
                return False
            oldest = min(idle, key=lambda c: c.waiting_since)
            oldest.transport.close()
            self.connections.discard(oldest)  # its connection_lost comes later; its place is free now
            tally.count(self.loop, "evicted", cap)
            return True

        @property
        def waiting(self) -> bool:
            return self.waiting_since is not None and (self.cycle is None or self.cycle.response_complete)

        def _await_request(self) -> None:
            self.waiting_since = time.monotonic()
            if self.deadline is not None:
                self.deadline.cancel()
            self.deadline = self.loop.call_later(HEADER_SECONDS, self._too_slow)

        def _too_slow(self) -> None:
            if self.waiting and not self.transport.is_closing():
                tally.count(self.loop, "timed_out", cap)
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._await_request()

        def connection_lost(self, exc) -> None:
            if self.refused:
                return
            if self.deadline is not None:
                self.deadline.cancel()
            super().connection_lost(exc)

    return Guarded


class BodyTimeouts:
    """A request body that stalls, or trickles in slower than BODY_MIN_RATE on average (after a first
    BODY_IDLE_SECONDS), is answered 408: a slow upload cannot hold a connection and a worker for hours."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.monotonic()
        received, complete = 0, False

        async def timed_receive():
            nonlocal received, complete
            if complete:  # what follows the body (a disconnect) may take as long as it takes
                return await receive()
            allowed = started + BODY_IDLE_SECONDS + received / BODY_MIN_RATE
            wait = min(BODY_IDLE_SECONDS, allowed - time.monotonic())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0.0))
            except asyncio.TimeoutError:
                raise HTTPException(408, "the request's body came too slowly; send it again") from None
            received += len(message.get("body", b""))
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)
