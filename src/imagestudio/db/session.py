"""The async engine and session factory, built once by the composition root.

SQLite has one writer at a time, so the hot write path (recording a generation) runs on
one dedicated thread with a plain ``sqlite3`` connection: one thread hop per transaction
instead of one per statement through aiosqlite. That connection never checkpoints the
WAL itself (a checkpoint copies pages into the database file and fsyncs it: a stall of
several milliseconds every few dozen creates); a background thread does it instead, with
``PASSIVE`` checkpoints that never block the writer or readers. PostgreSQL writes go
through asyncpg.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
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
log = logging.getLogger("imagestudio.db")


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
        event.listen(self._engine, "connect", _writer_pragmas)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._conn: Connection | None = None
        path = sync_url.database or ""
        self._checkpointer = _Checkpointer(path) if path not in ("", ":memory:") else None

    async def run(self, work: Callable[[Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, work)

    def _run(self, work: Callable[[Connection], T]) -> T:
        # One connection for the thread's lifetime: a pool checkout and reset per
        # transaction cost more than the insert itself.
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        with self._conn.begin():
            result = work(self._conn)
        if self._checkpointer is not None:
            self._checkpointer.committed()
        return result

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        self._executor.submit(self._close_connection).result()
        self._executor.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._engine.dispose()


WAL_LIMIT_BYTES = 64 * 1024 * 1024


def _writer_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The writer resets the WAL after a complete checkpoint and then cuts it to the limit.
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    dbapi_connection.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")


class _Checkpointer:
    """Checkpoints the WAL of ``path`` on its own thread and connection.

    Wakes every ``EVERY_COMMITS`` commits, or each ``INTERVAL_S`` while commits are
    pending, and runs a ``PASSIVE`` checkpoint (it copies what no reader still needs and
    never waits for a lock); the writer then starts the WAL file over. Under writes that
    never pause a passive checkpoint may never finish, so past ``RESTART_FRAMES`` frames a
    ``RESTART`` checkpoint holds the writer back until the WAL has been copied. The commit
    count is approximate (two threads touch it without a lock); it only times wake-ups.
    """

    EVERY_COMMITS = 200
    INTERVAL_S = 1.0
    RESTART_FRAMES = 8192  # 32 MiB of 4 KiB pages

    def __init__(self, path: str) -> None:
        self._path = path
        self._pending = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def committed(self) -> None:
        """Called by the writer after each commit."""
        self._pending += 1
        if self._thread is None:
            with self._start_lock:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(
                        target=self._loop, name="sqlite-checkpoint", daemon=True
                    )
                    self._thread.start()
        if self._pending >= self.EVERY_COMMITS:
            self._wake.set()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        self._pending = 0
        _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames >= self.RESTART_FRAMES:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()

    def _loop(self) -> None:
        conn = sqlite3.connect(self._path, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            while not self._stopping:
                self._wake.wait(self.INTERVAL_S)
                self._wake.clear()
                if self._pending:
                    self.checkpoint(conn)
            if self._pending:
                self.checkpoint(conn)
        except sqlite3.Error as exc:  # pragma: no cover - disk trouble; the WAL keeps growing
            log.warning("WAL checkpoints stopped: %s", exc)
        finally:
            conn.close()

    def close(self) -> None:
        with self._start_lock:
            self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()


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
