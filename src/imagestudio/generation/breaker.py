"""A per-vendor circuit breaker: stop calling a vendor that keeps failing, then probe."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    """Per-vendor cooldown: closed → open after ``failure_threshold`` consecutive
    failures → half-open after ``cooldown_s`` (exactly one probe call) → closed on success,
    open again on failure. ``clock`` is monotonic seconds (injected for tests)."""

    failure_threshold: int = 5
    cooldown_s: float = 30.0
    clock: Clock = time.monotonic
    state: BreakerState = field(default="closed", init=False)
    failures: int = field(default=0, init=False)
    opened_at: float = field(default=0.0, init=False)
    _probing: bool = field(default=False, init=False, repr=False)

    def allow(self) -> bool:
        """Whether a call may start now; moving to half-open hands out the single probe."""
        if self.state == "closed":
            return True
        if self.state == "open":
            if self.clock() - self.opened_at < self.cooldown_s:
                return False
            self.state = "half_open"
        if self._probing:
            return False
        self._probing = True
        return True

    def remaining_s(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self.state != "open":
            return 0.0
        return max(0.0, self.cooldown_s - (self.clock() - self.opened_at))

    def record_success(self) -> None:
        self.state, self.failures, self._probing = "closed", 0, False

    def record_failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.failure_threshold:
            self.trip()

    def record_abandoned(self) -> None:
        """A call ended without a verdict on the vendor's health (cancelled, skipped)."""
        self._probing = False

    def trip(self) -> None:
        """Open now (a half-open probe failed, or the account is unusable)."""
        self.state, self.opened_at, self._probing = "open", self.clock(), False
