"""Per-user request rate limit: a sliding one-minute window, kept in this process.

One server process enforces its own window; several processes (``serve --workers``, or
several machines) share one through PostgreSQL instead
(:class:`~imagestudio.credits.shared_rate.SharedRateLimiter`). Checking and taking a
slot happen without an ``await`` in between, so concurrent requests cannot both take the
last slot.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

WINDOW_S = 60.0


class Limiter(Protocol):
    async def acquire(self, user_id: str, limit: int | None) -> float | None:
        """Take a slot and return None, or return the wait in seconds (taking nothing)."""

    async def wait_of(self, user_id: str, limit: int | None) -> float | None:
        """Seconds until ``user_id`` may send again (None: now), taking nothing."""


class RateLimiter:
    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_users: int = 100_000
    ) -> None:
        self._clock = clock
        self._max_users = max_users
        self._hits: dict[str, deque[float]] = {}

    def _window(self, user_id: str, now: float) -> deque[float]:
        hits = self._hits.get(user_id)
        if hits is None:
            if len(self._hits) >= self._max_users:
                self._forget_idle(now)
            hits = self._hits[user_id] = deque()
        while hits and hits[0] <= now - WINDOW_S:
            hits.popleft()
        return hits

    def retry_after(self, user_id: str, limit: int | None) -> float | None:
        """Seconds until ``user_id`` may send again (None: now), taking nothing."""
        if limit is None:
            return None
        now = self._clock()
        hits = self._window(user_id, now)
        if len(hits) < limit:
            return None
        if limit == 0:
            return WINDOW_S
        return max(0.001, hits[-limit] + WINDOW_S - now)

    def take(self, user_id: str, limit: int | None) -> float | None:
        """Take a slot and return None, or return the wait (taking nothing)."""
        wait = self.retry_after(user_id, limit)
        if wait is None and limit is not None:
            self._hits[user_id].append(self._clock())
        return wait

    async def acquire(self, user_id: str, limit: int | None) -> float | None:
        return self.take(user_id, limit)

    async def wait_of(self, user_id: str, limit: int | None) -> float | None:
        return self.retry_after(user_id, limit)

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, h in self._hits.items() if not h or h[-1] <= now - WINDOW_S]:
            del self._hits[user_id]
