import asyncio
import random

import pytest

from imagestudio.generation.breaker import CircuitBreaker
from imagestudio.generation.gateway import Attempt
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderError,
    ProviderNotConfigured,
    ProviderOutcomeUnknown,
    ProviderProtocolError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from imagestudio.providers.fake import FakeProvider
from imagestudio.settings import Settings


class FakeTime:
    """A monotonic clock that only moves when the gateway sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def rate_limited(provider: str = "stability", after: float | None = None) -> ProviderError:
    return ProviderRateLimited(
        "429", provider=provider, retry_after=after, details={"status_code": 429}
    )


def unavailable(provider: str = "stability", status: int = 503) -> ProviderError:
    return ProviderUnavailable(f"{status}", provider=provider, details={"status_code": status})


def attempt(provider: str, model_id: str, seed: int = 1) -> Attempt:
    request = ProviderRequest(
        model=model_id.split("/")[1], prompt="a lighthouse", size=SizeRequest(32, 32), seed=seed
    )
    return Attempt(provider=provider, model_id=model_id, request=request)


CHAIN = [attempt("stability", "stability/ultra"), attempt("wavespeed", "wavespeed/ideogram")]
NO_JITTER = RetryPolicy(jitter=0.0, queue_timeout_s=None, call_timeout_s=None)


def gateway(
    *providers: FakeProvider,
    policy: RetryPolicy = NO_JITTER,
    limits: dict[str, int] | None = None,
    time: FakeTime | None = None,
) -> tuple[ResilientGateway, FakeTime]:
    time = time or FakeTime()
    gw = ResilientGateway(
        {p.name: p for p in providers},
        policy=policy,
        limits=limits,
        sleep=time.sleep,
        clock=time,
        rng=random.Random(7),
    )
    return gw, time


def vendors() -> tuple[FakeProvider, FakeProvider]:
    return FakeProvider(name="stability"), FakeProvider(name="wavespeed")


async def test_retries_the_same_model_honouring_retry_after() -> None:
    primary, secondary = vendors()
    primary.script(rate_limited(after=2.0), unavailable())
    gw, time = gateway(primary, secondary)

    served = await gw.generate(CHAIN)

    assert served.index == 0
    assert len(primary.calls) == 3 and secondary.calls == []
    assert time.sleeps == [2.0, 1.0]  # max(backoff 0.5, Retry-After 2), then backoff 0.5 × 2
    assert served.notes == (
        "stability/ultra: rate limited (429), retried after 2.0 s",
        "stability/ultra: unavailable (503), retried after 1.0 s",
    )


async def test_backoff_doubles_up_to_the_cap() -> None:
    primary, secondary = vendors()
    primary.script(*(unavailable() for _ in range(4)))
    policy = RetryPolicy(max_attempts=5, base_delay_s=1, max_delay_s=4, jitter=0)
    gw, time = gateway(primary, secondary, policy=policy)

    assert (await gw.generate(CHAIN)).index == 0
    assert time.sleeps == [1, 2, 4, 4]


def test_jitter_stays_within_its_fraction() -> None:
    policy = RetryPolicy(base_delay_s=1, max_delay_s=8, jitter=0.25)
    rng = random.Random(1)
    delays = [policy.backoff(3, rng) for _ in range(500)]
    assert all(3.0 <= d <= 5.0 for d in delays)  # 4 s ± 25 %
    assert max(delays) - min(delays) > 1.0  # actually spread, not constant


async def test_falls_back_after_retries_are_exhausted() -> None:
    primary, secondary = vendors()
    primary.script(*(unavailable() for _ in range(3)))
    gw, time = gateway(primary, secondary)

    served = await gw.generate(CHAIN)

    assert served.index == 1
    assert len(primary.calls) == 3 and len(secondary.calls) == 1
    assert len(time.sleeps) == 2
    assert served.notes[-1] == (
        "stability/ultra: unavailable (503), gave up after 3 attempts, falling back"
    )


async def test_a_long_retry_after_falls_back_at_once() -> None:
    primary, secondary = vendors()
    primary.script(rate_limited(after=60.0))  # Stability's 60 s time-out
    gw, time = gateway(primary, secondary)

    served = await gw.generate(CHAIN)

    assert served.index == 1
    assert len(primary.calls) == 1 and time.sleeps == []
    assert served.notes == (
        "stability/ultra: rate limited (429), asked to wait 60 s (more than 30 s), falling back",
    )


@pytest.mark.parametrize("before", [[], [rate_limited(after=1.0)]])
async def test_outcome_unknown_is_never_resent_nor_replaced(before: list[ProviderError]) -> None:
    primary, secondary = vendors()
    primary.script(*before, ProviderOutcomeUnknown("read timeout", provider="stability"))
    gw, time = gateway(primary, secondary)

    with pytest.raises(ProviderOutcomeUnknown) as caught:
        await gw.generate(CHAIN)

    assert len(primary.calls) == len(before) + 1
    assert secondary.calls == []
    assert len(time.sleeps) == len(before)
    assert "nothing is re-sent" in caught.value.details["notes"][-1]


@pytest.mark.parametrize(
    "error", [ProviderBadRequest, ProviderContentRejected, ProviderProtocolError]
)
async def test_request_errors_are_raised_at_once(error: type[ProviderError]) -> None:
    primary, secondary = vendors()
    primary.script(error("no", provider="stability"))
    gw, time = gateway(primary, secondary)

    with pytest.raises(error):
        await gw.generate(CHAIN)

    assert len(primary.calls) == 1 and secondary.calls == [] and time.sleeps == []
    assert gw.breaker("stability").state == "closed"


@pytest.mark.parametrize("error", [ProviderAuthError, ProviderNotConfigured])
async def test_an_unusable_account_falls_back(error: type[ProviderError]) -> None:
    primary, secondary = vendors()
    primary.script(error("key refused", provider="stability"))
    gw, time = gateway(primary, secondary)

    served = await gw.generate(CHAIN)

    assert served.index == 1 and len(primary.calls) == 1 and time.sleeps == []
    assert served.notes[0].endswith(", falling back")


async def test_an_auth_error_puts_the_vendor_in_cooldown() -> None:
    primary, secondary = vendors()
    primary.script(ProviderAuthError("401", provider="stability"))
    gw, _ = gateway(primary, secondary)

    await gw.generate(CHAIN)
    served = await gw.generate(CHAIN)

    assert len(primary.calls) == 1  # the second image did not knock on a locked door
    assert served.notes[0].startswith("stability/ultra: skipped, stability is cooling down")


async def test_an_unusable_account_on_the_last_model_is_raised() -> None:
    primary, _ = vendors()
    primary.script(ProviderAuthError("401", provider="stability"))
    gw, _ = gateway(primary)

    with pytest.raises(ProviderAuthError):
        await gw.generate(CHAIN[:1])


async def test_a_provider_missing_from_the_registry_is_skipped() -> None:
    _, secondary = vendors()
    gw, _ = gateway(secondary)

    served = await gw.generate(CHAIN)

    assert served.index == 1
    assert served.notes == ("stability/ultra: skipped, provider not configured",)


async def test_the_last_error_carries_every_note() -> None:
    primary, secondary = vendors()
    primary.script(rate_limited(after=99))
    secondary.script(*(unavailable("wavespeed", 502) for _ in range(3)))
    gw, _ = gateway(primary, secondary)

    with pytest.raises(ProviderUnavailable) as caught:
        await gw.generate(CHAIN)

    assert caught.value.provider == "wavespeed"
    assert caught.value.details["notes"] == [
        "stability/ultra: rate limited (429), asked to wait 99 s (more than 30 s), falling back",
        "wavespeed/ideogram: unavailable (502), retried after 0.5 s",
        "wavespeed/ideogram: unavailable (502), retried after 1.0 s",
        "wavespeed/ideogram: unavailable (502), gave up after 3 attempts",
    ]


async def test_no_retry_starts_beyond_the_time_budget() -> None:
    primary, secondary = vendors()
    primary.script(*(unavailable() for _ in range(9)))
    policy = RetryPolicy(max_attempts=10, base_delay_s=1, jitter=0, budget_s=3)
    gw, time = gateway(primary, secondary, policy=policy)

    served = await gw.generate(CHAIN)

    assert time.sleeps == [1.0]  # the next back-off (2 s) would end at the deadline
    assert served.index == 1
    assert "no time left in the budget" in served.notes[-1]


async def test_breaker_opens_skips_and_half_opens_after_cooldown() -> None:
    primary, secondary = vendors()
    primary.script(unavailable(), unavailable())
    policy = RetryPolicy(max_attempts=1, breaker_failures=2, breaker_cooldown_s=10)
    gw, time = gateway(primary, secondary, policy=policy)

    for _ in range(2):
        assert (await gw.generate(CHAIN)).index == 1
    assert gw.breaker("stability").state == "open"

    time.now += 5
    skipped = await gw.generate(CHAIN)
    assert skipped.index == 1 and len(primary.calls) == 2
    assert skipped.notes == ("stability/ultra: skipped, stability is cooling down (5 s left)",)

    time.now += 5  # cooldown over: one probe goes through, and its success closes the breaker
    assert (await gw.generate(CHAIN)).index == 0
    assert len(primary.calls) == 3
    assert gw.breaker("stability").state == "closed"


def state(breaker: CircuitBreaker) -> str:
    return breaker.state  # read afresh: mypy would keep the value narrowed across calls


def test_breaker_half_open_allows_a_single_probe_and_reopens_on_failure() -> None:
    time = FakeTime()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10, clock=time)
    breaker.record_failure()
    assert state(breaker) == "open" and not breaker.allow()

    time.now = 10
    assert breaker.allow()  # the probe
    assert state(breaker) == "half_open" and not breaker.allow()  # nobody else meanwhile
    breaker.record_failure()
    assert state(breaker) == "open" and breaker.remaining_s() == 10

    time.now = 20
    assert breaker.allow()
    breaker.record_abandoned()  # a cancelled probe gives its turn to the next call
    assert breaker.allow()
    breaker.record_success()
    assert state(breaker) == "closed" and breaker.failures == 0


async def test_breaker_failure_during_retries_falls_back_early() -> None:
    primary, secondary = vendors()
    primary.script(unavailable(), unavailable())
    policy = RetryPolicy(max_attempts=5, jitter=0, breaker_failures=2)
    gw, time = gateway(primary, secondary, policy=policy)

    served = await gw.generate(CHAIN)

    assert served.index == 1 and len(primary.calls) == 2 and len(time.sleeps) == 1
    assert served.notes[-1] == (
        "stability/ultra: unavailable (503); stability is cooling down, falling back"
    )


async def test_per_provider_concurrency_limit_holds_under_a_batch() -> None:
    provider = FakeProvider(name="wavespeed", delay_s=0.01)
    gw, _ = gateway(provider, limits={"wavespeed": 2})
    chain = [attempt("wavespeed", "wavespeed/qwen-image")]

    results = await asyncio.gather(*(gw.generate(chain) for _ in range(10)))

    assert len(results) == 10 and len(provider.calls) == 10
    assert provider.max_in_flight == 2


async def test_the_slot_is_released_while_sleeping_for_a_retry() -> None:
    provider = FakeProvider(name="wavespeed")
    provider.script(rate_limited("wavespeed", after=1.0))
    wake = asyncio.Event()
    slept = asyncio.Event()

    async def sleep(_seconds: float) -> None:
        slept.set()
        await wake.wait()

    gw = ResilientGateway(
        {"wavespeed": provider}, policy=NO_JITTER, limits={"wavespeed": 1}, sleep=sleep
    )
    chain = [attempt("wavespeed", "wavespeed/qwen-image")]
    first = asyncio.create_task(gw.generate(chain))
    await slept.wait()

    second = await asyncio.wait_for(gw.generate(chain), timeout=1)  # not blocked by `first`
    wake.set()

    assert second.index == 0 and (await first).index == 0
    assert len(provider.calls) == 3


async def test_a_call_past_its_timeout_has_an_unknown_outcome() -> None:
    primary, secondary = FakeProvider(name="stability", delay_s=5), FakeProvider(name="wavespeed")
    policy = RetryPolicy(call_timeout_s=0.01)
    gw, _ = gateway(primary, secondary, policy=policy)

    with pytest.raises(ProviderOutcomeUnknown):
        await gw.generate(CHAIN)

    assert len(primary.calls) == 1 and secondary.calls == []


async def test_waiting_too_long_for_a_slot_falls_back() -> None:
    primary, secondary = FakeProvider(name="stability", delay_s=0.5), FakeProvider(name="wavespeed")
    policy = RetryPolicy(queue_timeout_s=0.01)
    gw, _ = gateway(primary, secondary, policy=policy, limits={"stability": 1})

    busy = asyncio.create_task(gw.generate(CHAIN))
    await asyncio.sleep(0)
    served = await gw.generate(CHAIN)

    assert served.index == 1
    assert served.notes == ("stability/ultra: no free stability slot within 0.01 s",)
    assert (await busy).index == 0


def test_policy_and_limits_come_from_settings() -> None:
    settings = Settings(
        _env_file=None, retry_max_attempts=2, breaker_failures=7, provider_timeout_s=60
    )
    policy = RetryPolicy.from_settings(settings)
    assert (policy.max_attempts, policy.breaker_failures, policy.call_timeout_s) == (2, 7, 90)
    assert settings.max_concurrency("wavespeed") == 2  # WaveSpeed Bronze tier
    assert settings.provider("wavespeed").max_concurrency == 2
    assert settings.max_concurrency("gemini") == settings.provider_max_concurrency


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)
