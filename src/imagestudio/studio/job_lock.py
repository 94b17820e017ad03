"""Which serving process recovers jobs: the one holding the database's jobs lock.

Recovery resumes every job that looks unfinished; a second ``serve`` over the same
database must not resume the first one's running jobs (that would send their units
again). The lock is a PostgreSQL session advisory lock (released when the process's
connection drops, e.g. on SIGKILL) or, on SQLite, an ``flock`` on a file beside the
database (released by the kernel when the process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from imagestudio.db.session import Database, is_sqlite

ADVISORY_KEY = 0x1A_5E_70_B5  # "imagestudio jobs"


class JobsLock:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: AsyncConnection | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def acquire(self) -> bool:
        """Take the lock if free (never waits); True when this process holds it."""
        if self.held:
            return True
        url = self._db.url
        if is_sqlite(url):
            path = make_url(url).database
            if not path or path == ":memory:":
                self._fd = -1  # a private database: nobody else can recover its jobs
                return True
            fd = os.open(Path(path).with_name(Path(path).name + ".jobs-lock"),
                         os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._fd = fd
            return True
        conn = await self._db.engine.connect()
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        await conn.commit()
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"),
                                         {"k": ADVISORY_KEY})
            await self._conn.close()
            self._conn = None
        if self._fd is not None:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"JobsLock(held={self.held})"
