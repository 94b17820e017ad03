"""The async engine and session factory, built once by the composition root.

Reads go through the async engine (aiosqlite or asyncpg). SQLite has one writer at a
time, so its write transactions go through :class:`~imagestudio.db.sqlite_writer.SqliteWriter`
(one plain ``sqlite3`` connection); PostgreSQL writes go through asyncpg.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from imagestudio.db.sqlite_writer import SqliteWriter

T = TypeVar("T")
IDLE_PING_S = 5.0


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=10000",
    ):
        cursor.execute(pragma)
    cursor.close()


def create_engine(url: str, *, connect_args: dict[str, Any] | None = None,
                  idle_ping_s: float = IDLE_PING_S) -> AsyncEngine:
    """An engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``).

    A PostgreSQL connection idle in the pool for over ``idle_ping_s`` is pinged when
    checked out (a dead one is replaced before use, e.g. after a server restart).
    """
    options: dict[str, Any] = {"connect_args": dict(connect_args or {})}
    options["pool_size"] = 4 if is_sqlite(url) else 10
    engine = create_async_engine(url, **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine, idle_ping_s)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    # SQLAlchemy's pool_pre_ping pings at every checkout, and asyncpg's ping is three
    # round trips (BEGIN, a query, ROLLBACK): a third of a job worker's database round
    # trips were pings. A connection returned moments ago is alive; one idle for a while
    # may not be (a restarted or failed-over server). A disconnect met anyway invalidates
    # the whole pool (SQLAlchemy's default), so at most one request per process fails.
    def checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= idle_s:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # noqa: BLE001 - any failure means the connection is gone
            raise DisconnectionError("the pooled connection is gone") from exc

    event.listen(engine.sync_engine, "checkin", checked_in)
    event.listen(engine.sync_engine, "checkout", checked_out)


@dataclass(frozen=True)
class Database:
    """One engine and its session factory; sessions never outlive a request or command."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    _writer: SqliteWriter | None = None

    @classmethod
    def connect(cls, url: str, *, connect_args: dict[str, Any] | None = None) -> Database:
        engine = create_engine(url, connect_args=connect_args)
        writer = SqliteWriter(url, _sqlite_pragmas) if is_sqlite(url) else None
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False), writer)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    async def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(connection)`` in one write transaction (committed when it returns)."""
        if self._writer is not None:
            return await self._writer.run(work)
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def aclose(self) -> None:
        if self._writer is not None:
            await asyncio.to_thread(self._writer.close)
        await self.engine.dispose()
