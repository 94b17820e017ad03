"""Prepared statements store exactly what ``Connection.execute`` stores, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from imagestudio.db.base import new_id
from imagestudio.db.models import Generation, User
from imagestudio.db.prepared import Prepared
from imagestudio.db.session import Database

generations = Generation.__table__
COLUMNS = [c.name for c in generations.columns]
NOW = dt.datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=dt.UTC)


def _row(user_id: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": new_id(), "user_id": user_id, "status": "running",
        "request": {"prompt": "a café", "n": 2, "nested": [1, None]}, "provider": "local",
        "model": "local", "template_id": None, "num_requested": 2, "num_succeeded": 0,
        "warnings": ["w"], "errors": [], "quote_micros": 12, "cost_micros": 0,
        "created_at": NOW,
    }
    return row | changes


async def _user(db: Database) -> str:
    user_id = new_id()

    def work(conn: Connection) -> None:
        conn.execute(insert(User), {"id": user_id, "name": f"u-{user_id[:8]}"})

    await db.write(work)
    return user_id


async def test_insert_reads_back_like_the_orm(db: Database) -> None:
    user_id = await _user(db)
    raw, orm = _row(user_id), _row(user_id)
    prepared = Prepared(insert(generations), COLUMNS)

    def work(conn: Connection) -> None:
        prepared.run_many(conn, [raw])
        conn.execute(insert(generations), [orm])

    await db.write(work)
    async with db.engine.connect() as conn:
        rows = {r.id: r for r in await conn.execute(select(generations))}
    stored, expected = rows[raw["id"]]._asdict(), rows[orm["id"]]._asdict()
    assert stored.pop("id") != expected.pop("id")
    assert stored == expected
    assert stored["created_at"] == NOW and stored["request"]["prompt"] == "a café"


async def test_update_binds_constants_and_counts_rows(db: Database) -> None:
    user_id = await _user(db)
    row = _row(user_id)
    finish = Prepared(
        update(generations)
        .where(generations.c.id == row["id"], generations.c.status == "running")
        .values(status="succeeded", num_succeeded=2)
        .returning(generations.c.num_succeeded)
    )

    def work(conn: Connection) -> tuple[tuple[object, ...] | None, tuple[object, ...] | None]:
        Prepared(insert(generations), COLUMNS).run(conn, row)
        return finish.first(conn, {}), finish.first(conn, {})

    first, second = await db.write(work)
    assert first == (2,)
    assert second is None  # the status condition is a bound constant, not dropped


def test_an_insert_must_name_every_defaulted_column() -> None:
    with pytest.raises(ValueError, match="warnings"):
        Prepared(insert(generations), [c for c in COLUMNS if c != "warnings"])
