"""The per-user request rate limit shared by every process over one PostgreSQL database.

Why PostgreSQL rather than Redis: the scaled deployment already runs PostgreSQL (the
ledger and the queue live there), so sharing the limit adds no service to run, secure and
monitor, and a check costs one short transaction (about a millisecond on loopback) on a
path that then writes the credit hold to the same database anyway.

The window is the in-process limiter's (a sliding minute): ``rate_hits`` holds one row per
accepted request, stamped with the database's clock (one clock for every process). A
transaction-scoped advisory lock per user serialises the check and the insert, so two
processes cannot both take a user's last slot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from imagestudio.credits.ratelimit import WINDOW_S
from imagestudio.db.session import Database

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:user_id, 4451))")
_NOW = text("SELECT extract(epoch FROM clock_timestamp())::float8")
_FORGET = text("DELETE FROM rate_hits WHERE user_id = :user_id AND at <= :since")
_NTH = text("SELECT at FROM rate_hits WHERE user_id = :user_id ORDER BY at DESC "
            "OFFSET :skip LIMIT 1")
_TAKE = text("INSERT INTO rate_hits (user_id, at) VALUES (:user_id, :at)")


class SharedRateLimiter:
    """The sliding one-minute window of :class:`~imagestudio.credits.ratelimit.RateLimiter`,
    kept in PostgreSQL for every process."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def acquire(self, user_id: str, limit: int | None) -> float | None:
        if limit is None:
            return None
        return await self._db.write(lambda conn: _check(conn, user_id, limit, take=True))

    async def wait_of(self, user_id: str, limit: int | None) -> float | None:
        if limit is None:
            return None
        return await self._db.write(lambda conn: _check(conn, user_id, limit, take=False))


def _check(conn: Connection, user_id: str, limit: int, *, take: bool) -> float | None:
    if limit == 0:
        return WINDOW_S
    who: dict[str, Any] = {"user_id": user_id}
    conn.execute(_LOCK, who)
    now = float(conn.execute(_NOW).scalar_one())
    conn.execute(_FORGET, {**who, "since": now - WINDOW_S})
    nth = conn.execute(_NTH, {**who, "skip": limit - 1}).scalar()
    if nth is not None:  # ``limit`` hits inside the window already
        return max(0.001, float(nth) + WINDOW_S - now)
    if take:
        conn.execute(_TAKE, {**who, "at": now})
    return None
