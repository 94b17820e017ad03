"""The SQLite writer: the request path never checkpoints; a background thread does."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import Connection

from imagestudio.db.base import new_id
from imagestudio.db.migrate import upgrade
from imagestudio.db.models import User
from imagestudio.db.session import Database


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
