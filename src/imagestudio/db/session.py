"""The async engine and session factory, built once by the composition root.

SQLite has one writer at a time, so the hot write path (recording a generation) runs on
one dedicated thread with a plain ``sqlite3`` connection: one thread hop per transaction
instead of one per statement through aiosqlite. PostgreSQL writes go through asyncpg.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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


class _SqliteWriter:
    """Runs write transactions one at a time on a dedicated thread."""

    def __init__(self, url: str) -> None:
        sync_url = make_url(url).set(drivername="sqlite")
        self._engine: Engine = create_sync_engine(sync_url, pool_size=1)
        event.listen(self._engine, "connect", _sqlite_pragmas)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, work)

    def _run(self, work: Callable[[Connection], T]) -> T:
        with self._engine.begin() as conn:
            return work(conn)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._engine.dispose()


@dataclass(frozen=True)
class Database:
    """One engine and its session factory; sessions never outlive a request or command."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    _writer: _SqliteWriter | None = None

    @classmethod
    def connect(cls, url: str, *, connect_args: dict[str, Any] | None = None) -> Database:
        engine = create_engine(url, connect_args=connect_args)
        writer = _SqliteWriter(url) if is_sqlite(url) else None
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
