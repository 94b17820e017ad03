import datetime as dt

from sqlalchemy import inspect, select

from imagestudio.db.base import utcnow
from imagestudio.db.migrate import (
    HEAD_REVISION,
    current_revision,
    head_revision,
    prepare_database,
    upgrade,
)
from imagestudio.db.models import User
from imagestudio.db.session import Database

TABLES = {
    "users",
    "api_keys",
    "generations",
    "assets",
    "asset_tags",
    "collections",
    "asset_collections",
    "alembic_version",
}


async def test_upgrade_creates_every_table_and_is_idempotent(database_url: str) -> None:
    db = Database.connect(database_url)
    try:
        await upgrade(db.engine)
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert names >= TABLES
        assert await current_revision(db.engine) == head_revision()
    finally:
        await db.aclose()


async def test_prepare_refuses_an_unmigrated_database_without_auto_migrate(
    database_url: str,
) -> None:
    import pytest

    from imagestudio.db.migrate import SchemaOutdated

    db = Database.connect(database_url)
    try:
        with pytest.raises(SchemaOutdated, match="imagestudio db upgrade"):
            await prepare_database(db, auto_migrate=False)
        await prepare_database(db, auto_migrate=True)
        await prepare_database(db, auto_migrate=False)
    finally:
        await db.aclose()


async def test_datetimes_come_back_timezone_aware_utc(database_url: str) -> None:
    db = Database.connect(database_url)
    try:
        await upgrade(db.engine)
        moment = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        async with db.sessions() as session:
            session.add(User(name="tz", created_at=moment))
            await session.commit()
        async with db.sessions() as session:
            stored = await session.scalar(select(User.created_at).where(User.name == "tz"))
        assert stored == moment
        assert stored is not None and stored.utcoffset() == dt.timedelta(0)
        assert utcnow().tzinfo is not None
    finally:
        await db.aclose()


def test_head_constant_matches_the_migration_scripts() -> None:
    assert head_revision() == HEAD_REVISION
