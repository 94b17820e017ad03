"""A per-vendor circuit breaker: stop calling a vendor that keeps failing, then probe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """Per-vendor cooldown: closed → open after ``failure_threshold`` consecutive
    failures → half-open after ``cooldown_s`` → closed on the probe's success, open again
    when the probe fails. ``clock`` is monotonic seconds (injected for tests).

    Half-open hands out one probe. The probe belongs to its caller (``owner``): the same
    owner may retry under it, so a retryable error while half-open is retried like any
    other, and only :meth:`end_probe` (the owner gave up) re-opens the breaker. Everyone
    else waits for the verdict (:meth:`verdict`) instead of failing, so once the probe
    succeeds a whole request's images go through.
    """

    failure_threshold: int = 5
    cooldown_s: float = 30.0
    clock: Clock = time.monotonic
    state: BreakerState = field(default="closed", init=False)
    failures: int = field(default=0, init=False)
    opened_at: float = field(default=0.0, init=False)
    _probe_owner: object | None = field(default=None, init=False, repr=False)
    _verdict: asyncio.Event | None = field(default=None, init=False, repr=False)

    def allow(self, owner: object | None = None) -> bool:
        """Whether a call may start now; moving to half-open hands out the single probe.

        While half-open, the probe's ``owner`` is allowed again (its retries); without an
        owner every call is a new caller.
        """
        if self.state == "closed":
            return True
        if self.state == "open":
            if self.clock() - self.opened_at < self.cooldown_s:
                return False
            self.state = "half_open"
        if self._probe_owner is None:
            self._probe_owner = owner if owner is not None else object()
            return True
        return owner is not None and owner is self._probe_owner

    @property
    def probing(self) -> bool:
        """A probe is in flight: its verdict is worth waiting for."""
        return self.state == "half_open" and self._probe_owner is not None

    def verdict(self) -> asyncio.Event:
        """Set when the probe in flight ends (closed, re-opened or abandoned)."""
        if self._verdict is None:
            self._verdict = asyncio.Event()
        return self._verdict

    def remaining_s(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.cooldown_s - (self.clock() - self.opened_at))

    def record_success(self) -> None:
        self.state, self.failures = "closed", 0
        self._release()

    def record_failure(self, owner: object | None = None) -> None:
        """One failed call. The probe's owner keeps its probe (it may retry); its
        verdict comes with :meth:`end_probe`."""
        self.failures += 1
        if self.state == "half_open":
            if owner is None or owner is not self._probe_owner:
                self.trip()
        elif self.failures >= self.failure_threshold:
            self.trip()

    def record_abandoned(self, owner: object | None = None) -> None:
        """A call ended without a verdict on the vendor's health (cancelled, skipped):
        the probe goes to the next caller."""
        if owner is None or owner is self._probe_owner:
            self._release()

    def end_probe(self, owner: object, *, failed: bool) -> None:
        """``owner`` is done with this vendor: when it still holds the probe, a failure
        re-opens the breaker and anything else hands the probe on."""
        if self._probe_owner is not owner or self.state != "half_open":
            return
        if failed:
            self.trip()
        else:
            self._release()

    def trip(self) -> None:
        """Open now (a half-open probe failed, or the account is unusable)."""
        self.state, self.opened_at = "open", self.clock()
        self._release()

    def _release(self) -> None:
        self._probe_owner = None
        if self._verdict is not None:
            self._verdict.set()
            self._verdict = None
