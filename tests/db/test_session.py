"""PostgreSQL connections are pinged at checkout only after idling: a connection the server
dropped while it idled is replaced before use; one used moments ago is not pinged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncEngine

from imagestudio.db.session import create_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
async def postgres_url(database_url: str) -> AsyncIterator[str]:
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's connection pool")
    yield database_url


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    other = create_engine(url)
    try:
        async with other.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


def _count_pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a pool pings an asyncpg connection."""
    pings = [0]
    real = AsyncAdapt_asyncpg_connection.ping

    def ping(self: AsyncAdapt_asyncpg_connection) -> None:
        pings[0] += 1
        real(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", ping)
    return pings


async def test_a_connection_dropped_while_idle_is_replaced_before_use(postgres_url: str) -> None:
    engine = create_engine(postgres_url, idle_ping_s=0.0)
    try:
        pid = await _backend_pid(engine)
        await _terminate(postgres_url, pid)
        assert await _backend_pid(engine) != pid  # no error: the ping found it gone
    finally:
        await engine.dispose()


async def test_a_connection_used_moments_ago_is_not_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(postgres_url, idle_ping_s=3600.0)
    pings = _count_pings(monkeypatch)
    try:
        first = await _backend_pid(engine)
        for _ in range(5):
            assert await _backend_pid(engine) == first
        assert pings[0] == 0
    finally:
        await engine.dispose()


async def test_an_idle_connection_is_pinged_once_per_checkout(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(postgres_url, idle_ping_s=0.0)
    pings = _count_pings(monkeypatch)
    try:
        for _ in range(3):
            await _backend_pid(engine)
        assert pings[0] == 2  # the first checkout opened the connection: nothing to ping
    finally:
        await engine.dispose()
