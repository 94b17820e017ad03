"""Apply the Alembic migrations shipped inside the package (works from an installed wheel).

Alembic is imported only when a migration actually runs: a server whose schema is
current checks one row (``alembic_version``) and never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from imagestudio.db.session import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (a test keeps the two in step).
HEAD_REVISION = "0005_crash_billing"


class SchemaOutdated(RuntimeError):
    """The database is not at the packaged migration head."""


def alembic_config(connection: Connection | None = None) -> Config:
    """A config pointing at the packaged migrations; ``connection`` is used when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The head according to the migration scripts themselves."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision recorded in the database (None for a database never migrated)."""
    async with engine.connect() as conn:
        try:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:
            return None
        return str(version) if version is not None else None


async def prepare_database(db: Database, *, auto_migrate: bool) -> None:
    """Migrate (when allowed) or check the schema is current; raise SchemaOutdated if not."""
    current = await current_revision(db.engine)
    if current == HEAD_REVISION:
        return
    if auto_migrate:
        await upgrade(db.engine)
        return
    raise SchemaOutdated(
        f"database schema is at {current or 'nothing'}, expected {HEAD_REVISION}: "
        "run 'imagestudio db upgrade'"
    )
