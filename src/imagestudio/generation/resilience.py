"""Retries, fallbacks, cooldowns and per-vendor concurrency, in one place.

Vendor clients make exactly one attempt and classify the failure
(:mod:`imagestudio.providers.errors`); :class:`ResilientGateway` decides what happens next.
Three mechanisms are kept apart, as in LiteLLM:

* **retry** the same attempt on a retryable error (429, 5xx, a timeout the client marked
  safe to repeat), with exponential backoff + jitter, sleeping at least ``retry_after``;
* **fall back** to the next attempt of the chain (same quality tier, same kind of endpoint:
  the planner builds the chain) when retries are exhausted, the vendor asks us to wait
  longer than ``max_retry_after_s``, its circuit is open, or the account with that vendor is
  unusable (not configured, auth/balance refused);
* **cool down** a vendor (circuit breaker) after ``breaker_failures`` consecutive failures
  (retryable errors, unanswered calls), or at once when it refuses our key, so other images
  skip it instead of queueing behind its errors. After the cooldown one image probes the
  vendor (its retries included); the other images wait for that verdict rather than fail,
  so a recovered vendor serves the whole request.

What is never done: re-sending or falling back after :class:`ProviderOutcomeUnknown`
(the vendor may have run and billed the job), and falling back after an error about the
request or its response itself (bad request, content rejected, protocol error): those
would hide bugs, shop for laxer moderation, or pay twice.

Timeouts per phase: *queue* (waiting for the vendor's concurrency slot; nothing was sent,
so running out falls back), *call* (one whole vendor call; running out means the outcome is
unknown), and the per-image *budget* (no retry or new attempt starts after it). Connect,
read, poll and download timeouts inside a call belong to the vendor client.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagestudio.generation.breaker import CircuitBreaker, Clock
from imagestudio.generation.gateway import Attempt, Served
from imagestudio.providers.base import ImageProvider, ProviderResult
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderNotConfigured,
    ProviderOutcomeUnknown,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)

if TYPE_CHECKING:
    from imagestudio.settings import Settings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

DEFAULT_CONCURRENCY = 4
CALL_TIMEOUT_MARGIN_S = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one image.

    ``max_attempts`` counts calls per model (1 = no retry). The n-th retry waits
    ``min(max_delay_s, base_delay_s * 2**(n-1))`` scaled by a random factor in
    ``[1 - jitter, 1 + jitter]``, and never less than the vendor's ``retry_after``. A
    ``retry_after`` above ``max_retry_after_s`` means "fall back now". ``budget_s`` bounds
    the whole chain for one image; ``queue_timeout_s`` and ``call_timeout_s`` bound the
    wait for a concurrency slot and one vendor call (``None``: no bound). After
    ``breaker_failures`` consecutive failures a provider is skipped for ``breaker_cooldown_s``.
    """

    max_attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.2
    max_retry_after_s: float = 30.0
    budget_s: float = 300.0
    queue_timeout_s: float | None = 120.0
    call_timeout_s: float | None = 180.0
    breaker_failures: int = 5
    breaker_cooldown_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy ``settings`` describe; the call timeout is a safety net above the
        vendor client's own ``provider_timeout_s``."""
        return cls(
            max_attempts=settings.retry_max_attempts,
            base_delay_s=settings.retry_base_delay_s,
            max_delay_s=max(settings.retry_max_delay_s, settings.retry_base_delay_s),
            max_retry_after_s=settings.retry_max_after_s,
            budget_s=settings.generation_budget_s,
            call_timeout_s=settings.provider_timeout_s + CALL_TIMEOUT_MARGIN_S,
            breaker_failures=settings.breaker_failures,
            breaker_cooldown_s=settings.breaker_cooldown_s,
        )

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if self.base_delay_s < 0 or self.max_delay_s < self.base_delay_s:
            raise ValueError("need 0 <= base_delay_s <= max_delay_s")
        if self.breaker_failures < 1:
            raise ValueError("breaker_failures must be at least 1")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), jitter included."""
        delay = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))
        return delay * (1 + rng.uniform(-self.jitter, self.jitter))


class _Fallback(Exception):
    """Internal: this attempt is over without an answer; try the next one."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(error.message)
        self.error = error


class ResilientGateway:
    """The production :class:`~imagestudio.generation.gateway.Gateway`.

    ``providers`` maps provider names to clients; ``limits`` caps calls in flight per
    provider (``default_limit`` for the rest). One breaker is kept per provider. ``sleep``,
    ``clock`` and ``rng`` are injected so tests run instantly and deterministically.
    """

    def __init__(
        self,
        providers: Mapping[str, ImageProvider],
        *,
        policy: RetryPolicy | None = None,
        limits: Mapping[str, int] | None = None,
        default_limit: int = DEFAULT_CONCURRENCY,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._providers = providers
        self._policy = policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        limits = dict(limits or {})
        names = set(providers) | set(limits)
        self._slots = {n: asyncio.Semaphore(limits.get(n, default_limit)) for n in names}
        self._breakers = {
            n: CircuitBreaker(policy.breaker_failures, policy.breaker_cooldown_s, clock)
            for n in names
        }

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    def breaker(self, provider: str) -> CircuitBreaker:
        """The breaker of ``provider`` (for diagnostics and tests)."""
        return self._breakers[provider]

    async def generate(self, attempts: Sequence[Attempt]) -> Served:
        """Serve one image from the first attempt that succeeds.

        Returns :class:`Served` with the index of the attempt that served and one note per
        retry, skip or fallback. Raises :class:`ProviderOutcomeUnknown` and non-retryable
        request errors at once; otherwise the last error once the chain or the time budget
        is spent (its ``details['notes']`` carries the notes).
        """
        if not attempts:
            raise ValueError("generate() needs at least one attempt")
        run = _Run(self, attempts)
        return await run.execute()


class _Run:
    """The state of one ``generate`` call: the chain, the clock and the notes so far."""

    def __init__(self, gateway: ResilientGateway, attempts: Sequence[Attempt]) -> None:
        self.gw = gateway
        self.policy = gateway._policy
        self.attempts = attempts
        self.notes: list[str] = []
        self.deadline = gateway._clock() + self.policy.budget_s

    def remaining_s(self) -> float:
        return self.deadline - self.gw._clock()

    async def execute(self) -> Served:
        last: ProviderError | None = None
        for index, attempt in enumerate(self.attempts):
            if last is not None and self.remaining_s() <= 0:
                self.notes.append(f"time budget of {self.policy.budget_s:g} s spent; gave up")
                break
            try:
                result = await self._attempt(attempt, has_next=index + 1 < len(self.attempts))
            except _Fallback as stop:
                last = stop.error
                continue
            except ProviderError as exc:
                self._finish(exc)
                raise
            return Served(index, result, tuple(self.notes))
        assert last is not None
        try:
            raise self._finish(last)
        finally:
            last = None  # as in _decide: no cycle through this frame

    def _finish(self, exc: ProviderError) -> ProviderError:
        if self.notes:
            exc.details.setdefault("notes", list(self.notes))
        return exc

    async def _attempt(self, attempt: Attempt, *, has_next: bool) -> ProviderResult:
        provider = self.gw._providers.get(attempt.provider)
        if provider is None:
            error = ProviderNotConfigured(
                f"provider {attempt.provider} is not configured", provider=attempt.provider
            )
            self.notes.append(f"{attempt.model_id}: skipped, provider not configured")
            raise _Fallback(error)
        breaker = self.gw._breakers[attempt.provider]
        retry = 0
        try:
            while True:
                try:
                    return await self._call(provider, attempt)
                except ProviderError as exc:
                    delay = self._decide(attempt, exc, retry + 1, has_next=has_next)
                retry += 1
                await self.gw._sleep(delay)
        except (ProviderError, _Fallback):
            breaker.end_probe(self, failed=True)  # a probe that gave up: open again
            raise
        except BaseException:
            breaker.end_probe(self, failed=False)  # cancelled: the next caller probes
            raise

    def _decide(self, attempt: Attempt, exc: ProviderError, retry: int, *, has_next: bool) -> float:
        """Seconds to sleep before retrying ``attempt``; raise to fall back or to stop."""
        try:
            what = f"{attempt.model_id}: {describe(exc)}"
            then = ", falling back" if has_next else ""
            if isinstance(exc, ProviderOutcomeUnknown):
                self.notes.append(f"{what}; the outcome is unknown, so nothing is re-sent")
                raise exc
            if isinstance(exc, ProviderNotConfigured | ProviderAuthError):
                if isinstance(exc, ProviderAuthError):
                    log.warning(
                        "provider %s refused our account: %s", attempt.provider, exc.message
                    )
                self.notes.append(f"{what}{then}")
                raise _Fallback(exc) if has_next else exc
            if not exc.retryable:
                raise exc
            if self.gw._breakers[attempt.provider].state == "open":
                self.notes.append(f"{what}; {attempt.provider} is cooling down{then}")
                raise _Fallback(exc)
            after = exc.retry_after or 0.0
            if after > self.policy.max_retry_after_s:
                limit = self.policy.max_retry_after_s
                self.notes.append(
                    f"{what}, asked to wait {after:g} s (more than {limit:g} s){then}"
                )
                raise _Fallback(exc)
            if retry >= self.policy.max_attempts:
                self.notes.append(f"{what}, gave up after {retry} attempts{then}")
                raise _Fallback(exc)
            delay = max(self.policy.backoff(retry, self.gw._rng), after)
            if delay >= self.remaining_s():
                self.notes.append(f"{what}; no time left in the budget to retry{then}")
                raise _Fallback(exc)
            self.notes.append(f"{what}, retried after {delay:.1f} s")
            return delay
        finally:
            # A raised ``exc`` holds this frame in its traceback; without this the two
            # form a reference cycle that keeps the vendor response alive until a
            # full garbage collection.
            del exc

    async def _call(self, provider: ImageProvider, attempt: Attempt) -> ProviderResult:
        """One vendor call inside the provider's concurrency slot, breaker permitting."""
        name = attempt.provider
        breaker = self.gw._breakers[name]
        while True:
            await self._acquire(attempt)
            try:
                if breaker.allow(self):
                    return await self._guarded(provider, attempt, breaker)
            finally:
                self.gw._slots[name].release()
            if not breaker.probing:
                self.notes.append(
                    f"{attempt.model_id}: skipped, {name} is cooling down "
                    f"({breaker.remaining_s():.0f} s left)"
                )
                raise _Fallback(
                    ProviderUnavailable(
                        f"{name} is cooling down after repeated failures",
                        provider=name,
                        retry_after=breaker.remaining_s(),
                    )
                )
            await self._await_probe(attempt, breaker)

    async def _await_probe(self, attempt: Attempt, breaker: CircuitBreaker) -> None:
        """Wait (slot released) for the verdict of another image's half-open probe."""
        timeout = _min_optional(self.policy.queue_timeout_s, max(0.0, self.remaining_s()))
        try:
            async with asyncio.timeout(timeout):
                await breaker.verdict().wait()
        except TimeoutError:
            self.notes.append(
                f"{attempt.model_id}: {attempt.provider} is being probed after an outage; "
                f"no verdict within {timeout:g} s"
            )
            raise _Fallback(
                ProviderUnavailable(
                    f"{attempt.provider} is recovering from repeated failures",
                    provider=attempt.provider,
                )
            ) from None

    async def _acquire(self, attempt: Attempt) -> None:
        slot = self.gw._slots[attempt.provider]
        if not slot.locked():  # a free slot is taken at once: no timer needed
            await slot.acquire()
            return
        timeout = _min_optional(self.policy.queue_timeout_s, max(0.0, self.remaining_s()))
        try:
            async with asyncio.timeout(timeout):
                await slot.acquire()
        except TimeoutError:
            self.notes.append(
                f"{attempt.model_id}: no free {attempt.provider} slot within {timeout:g} s"
            )
            raise _Fallback(
                ProviderTimeout(
                    f"waited {timeout:g} s for a free {attempt.provider} slot",
                    provider=attempt.provider,
                )
            ) from None

    async def _guarded(
        self, provider: ImageProvider, attempt: Attempt, breaker: CircuitBreaker
    ) -> ProviderResult:
        verdict = False
        try:
            result = await self._timed(provider, attempt)
        except ProviderError as exc:
            verdict = _judge(breaker, exc, self)
            raise
        finally:
            if not verdict:
                breaker.record_abandoned(self)
        breaker.record_success()
        return result

    async def _timed(self, provider: ImageProvider, attempt: Attempt) -> ProviderResult:
        timeout = self.policy.call_timeout_s
        try:
            async with asyncio.timeout(timeout):
                return await provider.generate(attempt.request)
        except TimeoutError:
            raise ProviderOutcomeUnknown(
                f"no answer from {attempt.provider} within {timeout:g} s; the job may have run",
                provider=attempt.provider,
            ) from None


def _judge(breaker: CircuitBreaker, exc: ProviderError, owner: object) -> bool:
    """Tell ``breaker`` what ``exc`` says about the vendor; False when it says nothing."""
    if isinstance(exc, ProviderNotConfigured):
        return False  # our configuration, not the vendor's health
    if exc.retryable or isinstance(exc, ProviderOutcomeUnknown):
        breaker.record_failure(owner)
    elif isinstance(exc, ProviderAuthError):
        breaker.trip()  # every call with this key will be refused: stop knocking
    else:
        breaker.record_success()  # the vendor answered; the request itself was at fault
    return True


def _min_optional(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


_PHRASES: tuple[tuple[type[ProviderError], str], ...] = (
    (ProviderUnavailable, "unavailable"),
    (ProviderTimeout, "timed out"),
    (ProviderAuthError, "account refused (auth/balance)"),
    (ProviderNotConfigured, "not configured"),
)


def describe(exc: ProviderError) -> str:
    """A short phrase for notes: ``rate limited (429)``, ``unavailable (503)`` …"""
    status = exc.details.get("status_code", exc.details.get("status"))
    if isinstance(exc, ProviderRateLimited):
        return f"rate limited ({status or 429})"
    if isinstance(exc, ProviderOutcomeUnknown):
        return "no answer (outcome unknown)"
    phrase = next(
        (text for kind, text in _PHRASES if isinstance(exc, kind)), exc.code.replace("_", " ")
    )
    return f"{phrase} ({status})" if isinstance(status, int) else phrase
