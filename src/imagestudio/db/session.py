"""The async engine and session factory, built once by the composition root.

Reads go through the async engine (aiosqlite or asyncpg). SQLite has one writer at a
time, so its write transactions go through :class:`~imagestudio.db.sqlite_writer.SqliteWriter`
(one plain ``sqlite3`` connection); PostgreSQL writes go through asyncpg.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from imagestudio.db.sqlite_writer import SqliteWriter

T = TypeVar("T")


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


def create_engine(url: str, *, connect_args: dict[str, Any] | None = None) -> AsyncEngine:
    """An engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``)."""
    options: dict[str, Any] = {"connect_args": dict(connect_args or {})}
    if is_sqlite(url):
        options["pool_size"] = 4
    else:
        options["pool_pre_ping"] = True
        options["pool_size"] = 10
    engine = create_async_engine(url, **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


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
