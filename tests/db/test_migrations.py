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


async def test_blob_storage_claims_every_file_the_rows_reference(database_url: str) -> None:
    """0004_blob_storage: files referenced before the upgrade get a blob row (a claim)."""
    from sqlalchemy import insert

    from imagestudio.db.base import table_of
    from imagestudio.db.models import Asset, Blob

    db = Database.connect(database_url)
    try:
        await upgrade(db.engine, "0003_studio_core")
        key = "ab/ab" + "0" * 62 + ".png"
        row = {"id": "a1", "owner_id": "u1", "file_key": key, "sha256": "ab" + "0" * 62,
               "size_bytes": 3, "media_type": "image/png", "width": 1, "height": 1,
               "favourite": False, "created_at": utcnow(), "updated_at": utcnow()}
        async with db.engine.begin() as conn:
            await conn.execute(insert(table_of(User)), {"id": "u1", "name": "old", "plan": "free",
                                                        "disabled": False,
                                                        "created_at": utcnow()})
            await conn.execute(insert(table_of(Asset)), [row, {**row, "id": "a2"}])
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            blobs = (await conn.execute(select(Blob.key, Blob.touched_at))).all()
        assert [k for k, _ in blobs] == [key]
        assert abs((blobs[0][1] - utcnow()).total_seconds()) < 300
    finally:
        await db.aclose()
