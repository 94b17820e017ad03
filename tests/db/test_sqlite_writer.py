"""The SQLite writer: transactions on the loop unless SQLite is busy, checkpoints on a
thread of their own."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from imagestudio.db.base import new_id
from imagestudio.db.migrate import upgrade
from imagestudio.db.models import User
from imagestudio.db.prepared import Prepared
from imagestudio.db.session import Database
from imagestudio.db.sqlite_writer import Checkpointer


async def _migrated(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "studio.db"
    db = Database.connect(f"sqlite+aiosqlite:///{path}")
    await upgrade(db.engine)
    return db, path


async def test_the_writer_connection_never_checkpoints_by_itself(tmp_path: Path) -> None:
    db, _ = await _migrated(tmp_path)
    try:
        pages = await db.write(
            lambda conn: conn.execute(text("PRAGMA wal_autocheckpoint")).scalar()
        )
        assert pages == 0
    finally:
        await db.aclose()


async def test_a_background_thread_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    db, path = await _migrated(tmp_path)
    try:
        before = path.stat().st_size

        def add_users(conn: Connection) -> None:
            conn.execute(insert(User), [{"id": new_id(), "name": f"user-{new_id()}"}
                                        for _ in range(50)])

        for _ in range(250):  # past the checkpointer's commit threshold
            await db.write(add_users)
        deadline = time.monotonic() + 5
        while path.stat().st_size <= before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert path.stat().st_size > before, "no checkpoint copied the new pages"
    finally:
        await db.aclose()
    reopened = Database.connect(f"sqlite+aiosqlite:///{path}")
    try:
        async with reopened.engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM users"))).scalar()
        assert count == 250 * 50
    finally:
        await reopened.aclose()


def _add_user(user_id: str) -> Callable[[Connection], None]:
    def work(conn: Connection) -> None:
        conn.execute(insert(User), {"id": user_id, "name": f"u-{user_id[:8]}"})
    return work


async def test_a_write_waits_for_another_process_off_the_event_loop(tmp_path: Path) -> None:
    db, path = await _migrated(tmp_path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        write = asyncio.create_task(db.write(_add_user(new_id())))
        await asyncio.sleep(0.3)
        assert not write.done()
        assert ticks >= 10, "the event loop was blocked while the write waited"
        other.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        ticker.cancel()
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM users"))).scalar() == 1
    finally:
        other.close()
        await db.aclose()


async def test_writes_behind_the_writer_thread_wait_for_it_and_run_on_the_loop(
    tmp_path: Path,
) -> None:
    db, path = await _migrated(tmp_path)
    other = sqlite3.connect(path, isolation_level=None)
    ran_on: list[str] = []

    def add_user(conn: Connection) -> None:
        ran_on.append(threading.current_thread().name)
        _add_user(new_id())(conn)

    try:
        other.execute("BEGIN IMMEDIATE")
        first = asyncio.create_task(db.write(add_user))  # busy: goes to the writer thread
        await asyncio.sleep(0.2)
        later = [asyncio.create_task(db.write(add_user)) for _ in range(5)]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in [first, *later])
        gone = asyncio.create_task(db.write(add_user))
        await asyncio.sleep(0.05)
        gone.cancel()  # one waiter giving up does not wake or fail the others
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in [first, *later])
        other.execute("COMMIT")
        await asyncio.wait_for(asyncio.gather(first, *later), 5)
        loop_thread = threading.current_thread().name
        # The first try on the loop is refused (busy) and re-run on the writer thread; the
        # five behind it waited on the loop, not in the thread's queue.
        assert ran_on[0] == loop_thread and ran_on[1].startswith("sqlite-writer")
        assert ran_on[2:] == [loop_thread] * 5
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM users"))).scalar() == 6
    finally:
        other.close()
        await db.aclose()


async def test_raw_statement_errors_are_sqlalchemy_errors(tmp_path: Path) -> None:
    db, _ = await _migrated(tmp_path)
    user_id = new_id()
    insert_user = Prepared(insert(User), ["id", "name", "plan", "disabled", "created_at"])
    row = {"id": user_id, "name": "same", "plan": "free", "disabled": False,
           "created_at": dt.datetime.now(dt.UTC)}
    try:
        await db.write(lambda conn: insert_user.run(conn, row))
        with pytest.raises(IntegrityError):
            await db.write(lambda conn: insert_user.run(conn, row))
    finally:
        await db.aclose()


class _Recorder:
    """A stand-in ``sqlite3`` connection that answers checkpoints with ``frames``."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.sql: list[str] = []

    def execute(self, sql: str) -> _Recorder:
        self.sql.append(sql)
        return self

    def fetchone(self) -> tuple[int, int, int]:
        return (0, self.frames, self.frames)

    def fetchall(self) -> list[tuple[int, int, int]]:
        return [self.fetchone()]


@pytest.mark.parametrize(("frames", "restarts"), [(10, False), (Checkpointer.RESTART_FRAMES, True)])
def test_a_long_wal_gets_a_restart_checkpoint(frames: int, restarts: bool) -> None:
    conn = _Recorder(frames)
    Checkpointer("unused.db")._checkpoint(conn)  # type: ignore[arg-type]
    assert conn.sql[0] == "PRAGMA wal_checkpoint(PASSIVE)"
    assert ("PRAGMA wal_checkpoint(RESTART)" in conn.sql) == restarts
