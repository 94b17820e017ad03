"""SQLite's one writer: every write transaction of the process, one at a time.

A transaction runs right on the calling (event-loop) thread when the connection is free:
in WAL mode with ``synchronous=NORMAL`` a commit only appends to the WAL file and never
syncs the disk, so a create's transaction costs less than the hop to a worker thread and
back (about 15 % of the server's CPU per create, see ``docs/performance.md``). There the
connection never waits for SQLite's write lock (``busy_timeout`` 0): a transaction refused
with ``SQLITE_BUSY`` (another process, or a ``RESTART`` checkpoint, is writing) is rolled
back and run again on the writer thread, which waits for the lock up to
``BUSY_TIMEOUT_MS``. Transactions that come while the thread holds the connection wait on
the loop until it lets go and then run there: sending each of them to the thread too
would keep the writer there for as long as requests keep coming.

The connection never checkpoints the WAL itself (a checkpoint copies pages into the
database file and fsyncs it: a stall of several milliseconds every few dozen creates);
:class:`Checkpointer` does that on its own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
Pragmas = Callable[[Any, Any], None]
log = logging.getLogger("imagestudio.db")

BUSY_TIMEOUT_MS = 10_000
WAL_LIMIT_BYTES = 64 * 1024 * 1024


class SqliteWriter:
    """Write transactions for the SQLite database at ``url`` (see the module docstring)."""

    def __init__(self, url: str, pragmas: Pragmas) -> None:
        sync_url = make_url(url).set(drivername="sqlite")
        # File databases: SQLAlchemy opens them with check_same_thread=False, so the loop
        # and the writer thread may take turns on the one connection (under _lock).
        self._engine: Engine = create_sync_engine(sync_url, pool_size=1)
        event.listen(self._engine, "connect", pragmas)
        event.listen(self._engine, "connect", _writer_pragmas)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._released: asyncio.Future[None] | None = None
        path = sync_url.database or ""
        self._checkpointer = Checkpointer(path) if path not in ("", ":memory:") else None

    async def run(self, work: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        while not self._lock.acquire(blocking=False):
            await asyncio.shield(self._thread_done(loop))  # shared: a cancelled waiter leaves it
        try:
            return self._transaction(work)
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
        finally:
            self._lock.release()
        return await loop.run_in_executor(self._executor, self._waiting, work, loop)

    def _thread_done(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
        # Only the writer thread holds the lock while the loop runs: wait for it to let go
        # (one wake-up for every waiter) instead of queueing a thread hop per transaction.
        waiting = self._released
        if waiting is None or waiting.done() or waiting.get_loop() is not loop:
            waiting = self._released = loop.create_future()
        return waiting

    def _wake(self) -> None:
        if self._released is not None and not self._released.done():
            self._released.set_result(None)

    def _waiting(self, work: Callable[[Connection], T], loop: asyncio.AbstractEventLoop) -> T:
        try:
            with self._lock:
                raw = self._connection().connection.driver_connection
                assert raw is not None
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                try:
                    return self._transaction(work)
                finally:
                    raw.execute("PRAGMA busy_timeout=0")
        finally:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def _connection(self) -> Connection:
        # One connection for the writer's lifetime: a pool checkout and reset per
        # transaction cost more than the insert itself.
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        conn = self._connection()
        with conn.begin():
            result = work(conn)
        if self._checkpointer is not None:
            self._checkpointer.committed()
        return result

    def _close_connection(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def close(self) -> None:
        self._executor.submit(self._close_connection).result()
        self._executor.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._engine.dispose()


def _writer_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    # The writer starts the WAL over after a complete checkpoint, and then cuts it back.
    dbapi_connection.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class Checkpointer:
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

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        self._pending = 0
        _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames >= self.RESTART_FRAMES:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()

    def _loop(self) -> None:
        conn = sqlite3.connect(self._path, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            while not self._stopping:
                self._wake.wait(self.INTERVAL_S)
                self._wake.clear()
                if self._pending:
                    self._checkpoint(conn)
            if self._pending:
                self._checkpoint(conn)
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
