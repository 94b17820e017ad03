"""Blob lifetime: files are shared by content, claimed before they are written, and removed
only by the garbage collector — never in a request.

The rule (one ``blobs`` row per stored key, :class:`~imagestudio.db.models.Blob`):

1. **Write** (:meth:`Blobs.put_many`): claim the keys (upsert ``touched_at = now``,
   committed), then write each file unless it is there, then insert the rows that
   reference them — within the grace period of the claim.
2. **Delete a row** (an asset): never touches the file; :func:`touch` its blob in the
   same transaction, so the file outlives its last row by at least the grace period.
3. **Collect** (:class:`BlobCollector`): a blob that no asset or delivery row references
   and whose ``touched_at`` is older than the grace period is removed by a conditional
   delete of its row that re-checks both conditions, and its file is deleted *while that
   delete holds its lock* (the row lock on PostgreSQL, the write lock on SQLite), before
   the commit. A concurrent claim waits for that lock: it either committed first (the
   re-check keeps the blob) or it commits after the file is gone and writes it anew.

Nothing here depends on the store being local: it needs only :class:`AssetStore`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, and_, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from imagestudio.assets.store import INLINE_WRITE_BYTES, AssetStore, StoredFile, content_key
from imagestudio.db.base import table_of
from imagestudio.db.models import Asset, Blob, Delivery
from imagestudio.db.prepared import Prepared
from imagestudio.db.session import Database, is_sqlite

log = logging.getLogger("imagestudio.assets")

Clock = Callable[[], dt.datetime]
_BLOBS = table_of(Blob)
_ASSETS = table_of(Asset)
_DELIVERIES = table_of(Delivery)
BATCH = 500


def _upsert(dialect: str) -> Any:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_BLOBS)
    return insert.on_conflict_do_update(
        index_elements=[_BLOBS.c.key], set_={"touched_at": insert.excluded.touched_at}
    )


# Compiled once: a claim runs on every stored batch (see db/prepared.py for why).
_CLAIMS = {name: Prepared(_upsert(name), ("key", "touched_at"))
           for name in ("sqlite", "postgresql")}


def touch_statement(dialect: str, keys: Iterable[str], now: dt.datetime) -> tuple[Any, list[
        dict[str, Any]]]:
    """The upsert that claims ``keys`` at ``now`` and its rows (sorted: no deadlocks)."""
    rows = [{"key": key, "touched_at": now} for key in sorted(set(keys))]
    return _CLAIMS[dialect].statement, rows


def touch(conn: Connection, keys: Iterable[str], now: dt.datetime) -> None:
    """Claim ``keys`` at ``now`` in the caller's transaction."""
    rows = [{"key": key, "touched_at": now} for key in sorted(set(keys))]
    _CLAIMS[conn.dialect.name].run_many(conn, rows)


class Blobs:
    """Claim-then-write access to an :class:`AssetStore` (rule 1)."""

    def __init__(self, db: Database, store: AssetStore, clock: Clock) -> None:
        self.db = db
        self.store = store
        self.clock = clock

    async def put(self, data: bytes, *, extension: str) -> StoredFile:
        """Claim and store one file; raises what storing raised."""
        (stored,) = await self.put_many([(data, extension)])
        if isinstance(stored, BaseException):
            raise stored
        return stored

    async def put_many(
        self, items: Sequence[tuple[bytes, str]]
    ) -> list[StoredFile | BaseException]:
        """Claim every ``(data, extension)`` in one transaction, then write them
        concurrently; an item that could not be stored gives its error instead."""
        hashed = await asyncio.gather(*(_hash(d, e) for d, e in items), return_exceptions=True)
        files = [f for f in hashed if isinstance(f, StoredFile)]
        if files:
            try:
                await self.db.write(lambda conn: touch(conn, (f.key for f in files),
                                                       self.clock()))
            except Exception as exc:  # noqa: BLE001 - unclaimed: nothing may be written
                return [exc] * len(items)
        written = await asyncio.gather(
            *(self._write(f, d) for f, (d, _) in zip(hashed, items, strict=True)),
            return_exceptions=True,
        )
        return [w if isinstance(w, BaseException) else f
                for f, w in zip(hashed, written, strict=True)]

    async def _write(self, file: StoredFile | BaseException, data: bytes) -> None:
        if isinstance(file, BaseException):
            raise file
        await self.store.write(file.key, data)


async def _hash(data: bytes, extension: str) -> StoredFile:
    if len(data) <= INLINE_WRITE_BYTES:
        return content_key(data, extension)
    return await asyncio.to_thread(content_key, data, extension)


@dataclass
class GcReport:
    removed: int = 0
    """Blobs whose rows and files were removed."""
    kept: int = 0
    """Candidates that a claim or a new row saved at the re-check."""
    missing: int = 0
    """Removed blobs whose file was already gone."""
    adopted: int = 0
    """Stored files that had no blob row (``scan``), now claimed."""
    partial: int = 0
    """Leftovers of writes interrupted longer than the grace period ago."""


class BlobCollector:
    """Rule 3: removes blobs unreferenced for longer than ``grace_s``."""

    def __init__(self, blobs: Blobs, *, grace_s: float, interval_s: float = 600.0) -> None:
        self._db = blobs.db
        self._store = blobs.store
        self._clock = blobs.clock
        self.grace_s = grace_s
        self.interval_s = interval_s

    async def collect(self, *, grace_s: float | None = None, scan: bool = False) -> GcReport:
        """Remove every blob unreferenced and untouched for ``grace_s`` (default: the
        configured grace); ``scan`` first claims stored files that have no blob row."""
        report = GcReport()
        grace_s = self.grace_s if grace_s is None else grace_s
        if scan:
            report.adopted = await self.adopt_unknown()
        report.partial = await self._store.remove_partial(grace_s)
        cutoff = self._clock() - dt.timedelta(seconds=grace_s)
        while True:
            keys = await self.candidates(cutoff)
            for key in keys:
                outcome = await self.remove(key, cutoff)
                if outcome is None:
                    report.kept += 1
                else:
                    report.removed += 1
                    report.missing += not outcome
            if len(keys) < BATCH:
                break
        if report.removed:
            log.info("blob gc: removed %d unreferenced file(s)", report.removed)
        return report

    async def candidates(self, cutoff: dt.datetime) -> list[str]:
        """Keys unreferenced and untouched since ``cutoff`` (without a lock: re-checked)."""
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(
                select(_BLOBS.c.key).where(_collectable(cutoff)).limit(BATCH)
            )
            return [key for (key,) in rows]

    async def remove(self, key: str, cutoff: dt.datetime) -> bool | None:
        """Remove ``key`` if it is still collectable: None if kept, else whether its file
        existed. The file is deleted before the row's removal commits (see the module)."""
        statement = delete(_BLOBS).where(_BLOBS.c.key == key, _collectable(cutoff))
        if is_sqlite(self._db.url):
            return await self._db.write(lambda conn: self._remove_locked(conn, key, statement))
        async with self._db.engine.begin() as conn:
            if (await conn.execute(statement)).rowcount != 1:
                return None
            return await self._store.delete(key)

    def _remove_locked(self, conn: Connection, key: str, statement: Delete) -> bool | None:
        if conn.execute(statement).rowcount != 1:
            return None
        return self._store.delete_blocking(key)

    async def adopt_unknown(self) -> int:
        """Claim (at now) every stored key that has no blob row; the number claimed."""
        stored = [key async for key in self._store.stored_keys()]
        known: set[str] = set()
        async with self._db.engine.connect() as conn:
            for start in range(0, len(stored), BATCH):
                chunk = stored[start:start + BATCH]
                rows = await conn.execute(select(_BLOBS.c.key).where(_BLOBS.c.key.in_(chunk)))
                known.update(key for (key,) in rows)
        unknown = [key for key in stored if key not in known]
        if unknown:
            await self._db.write(lambda conn: touch(conn, unknown, self._clock()))
        return len(unknown)


def _collectable(cutoff: dt.datetime) -> ColumnElement[bool]:
    return and_(
        _BLOBS.c.touched_at < cutoff,
        ~exists().where(_ASSETS.c.file_key == _BLOBS.c.key),
        ~exists().where(_ASSETS.c.poster_key == _BLOBS.c.key),
        ~exists().where(_DELIVERIES.c.file_key == _BLOBS.c.key),
    )
