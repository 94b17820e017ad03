"""The request rate limit shared through PostgreSQL: two processes, one window.

Two ``Database`` instances (two engines, two connection pools: what two API processes
have) alternate requests for one user: together they accept exactly the limit. Each
in-process limiter would have accepted the limit per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from imagestudio.credits.ratelimit import WINDOW_S, RateLimiter
from imagestudio.credits.shared_rate import SharedRateLimiter
from imagestudio.db.migrate import upgrade
from imagestudio.db.session import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    if database_url.startswith("sqlite"):
        pytest.skip("the shared limit is PostgreSQL's (SQLite is served by one process)")
    first, second = Database.connect(database_url), Database.connect(database_url)
    await upgrade(first.engine)
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()


async def test_two_processes_share_one_window(two: tuple[Database, Database]) -> None:
    a, b = SharedRateLimiter(two[0]), SharedRateLimiter(two[1])
    taken = [await (a if i % 2 else b).acquire("u1", 3) for i in range(3)]
    assert taken == [None, None, None]
    wait = await a.acquire("u1", 3)
    again = await b.acquire("u1", 3)
    assert wait is not None and 0 < wait <= WINDOW_S
    assert again is not None and 0 < again <= WINDOW_S
    assert await a.wait_of("u1", 3) is not None  # looking takes nothing, refuses alike
    assert await b.acquire("u2", 3) is None  # per user
    assert await a.acquire("u1", None) is None  # unlimited plan
    assert await a.acquire("u3", 0) == WINDOW_S


async def test_concurrent_requests_never_exceed_the_limit(
    two: tuple[Database, Database],
) -> None:
    a, b = SharedRateLimiter(two[0]), SharedRateLimiter(two[1])
    results = await asyncio.gather(*((a if i % 2 else b).acquire("u", 5) for i in range(20)))
    assert sum(r is None for r in results) == 5


async def test_separate_in_process_limiters_would_each_allow_the_limit() -> None:
    # The reason for the shared store: one window per process lets N times through.
    first, second = RateLimiter(), RateLimiter()
    taken = [(first if i % 2 else second).take("u1", 3) for i in range(6)]
    assert taken == [None] * 6
