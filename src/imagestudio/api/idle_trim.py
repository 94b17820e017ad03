"""Give the allocator's free memory back to the OS when the server goes quiet.

A vendor image passes through several 3-4 MB buffers (the response body, its base64
text, the decoded image, its copy with new metadata). glibc keeps them once freed, on purpose
(:mod:`imagestudio.imaging.memory`: reusing them spares ~1,000 page faults per buffer),
so the heap stays at the most that requests ever held at once, also once they are done:
about 55 MiB of free heap in a server that has served 4 MB vendor images at c = 8 (see
``docs/performance.md``, "Resident memory on the vendor path").

:class:`TrimWhenIdle` returns those free pages (``malloc_trim``) once no request has
been in flight for :data:`QUIET_S`, at most once per :data:`MIN_INTERVAL_S`: a server
whose load has ended goes back to what it really holds, a busy one (requests following
each other within milliseconds, at any concurrency) keeps its buffers and pays no page
faults for them. A quiet moment that comes too soon after the last trim waits for its
turn, and is dropped if a request arrives meanwhile (the next quiet moment counts).
The trim runs in a worker thread (``ctypes`` releases the GIL), so a request arriving
meanwhile is not held up.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from imagestudio.imaging.memory import release_free_memory

# Quiet for 2 s: requests at any concurrency (on a loaded machine, too) follow each other
# far closer than that, so a server under load never trims and never pays page faults
# for its own buffers; with 20 ms it trimmed every second or two mid-load and
# snapshots of its RSS depended on when they were taken.
QUIET_S = 2.0
MIN_INTERVAL_S = 2.0


class TrimWhenIdle:
    """ASGI middleware: counts HTTP requests in flight and calls ``trim`` (in the loop's
    default executor) when none has been for ``quiet_s``, at most once per
    ``min_interval_s`` (both measured by ``clock``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        trim: Callable[[], object] = release_free_memory,
        quiet_s: float = QUIET_S,
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._trim = trim
        self._quiet = quiet_s
        self._interval = min_interval_s
        self._clock = clock
        self._active = 0
        self._idle_since = 0.0
        self._last = -math.inf
        self._pending: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle_since = self._clock()
                if self._pending is None:  # else the pending check sees the new moment
                    self._check_in(self._quiet)

    def _check_in(self, delay: float) -> None:
        self._pending = asyncio.get_running_loop().call_later(delay, self._check)

    def _check(self) -> None:
        self._pending = None
        if self._active:
            return  # the request in flight brings the check back when it ends
        now = self._clock()
        wait = max(self._idle_since + self._quiet, self._last + self._interval) - now
        if wait > 0:
            self._check_in(wait)
            return
        self._last = now
        with contextlib.suppress(RuntimeError):  # no executor: the process is ending
            asyncio.get_running_loop().run_in_executor(None, self._trim)
