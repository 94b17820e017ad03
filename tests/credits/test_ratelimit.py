from imagestudio.credits.ratelimit import RateLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sliding_minute_window_per_user() -> None:
    ticks = Ticks()
    limiter = RateLimiter(clock=ticks)
    for _ in range(3):
        assert limiter.take("a", 3) is None
        ticks.now += 10
    assert limiter.take("a", 3) == 30.0  # the first request leaves the window at 1060
    assert limiter.take("b", 3) is None
    assert limiter.retry_after("a", 3) == 30.0  # looking takes nothing
    ticks.now += 30
    assert limiter.take("a", 3) is None
    assert limiter.take("a", None) is None
    assert limiter.take("z", 0) == 60.0


def test_idle_users_are_forgotten_when_full() -> None:
    ticks = Ticks()
    limiter = RateLimiter(clock=ticks, max_users=2)
    limiter.take("a", 1)
    limiter.take("b", 1)
    ticks.now += 61
    limiter.take("c", 1)
    assert limiter.take("a", 1) is None
