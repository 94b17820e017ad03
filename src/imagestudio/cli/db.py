"""``imagestudio db upgrade|current``: apply or inspect the packaged migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from imagestudio.credits.plans import PlansError
from imagestudio.db.migrate import (
    SchemaOutdated,
    current_revision,
    head_revision,
    prepare_database,
    upgrade,
)
from imagestudio.db.session import Database, is_sqlite
from imagestudio.settings import Settings, get_settings

T = TypeVar("T")
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one line on stderr; the caller raises the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else 'no detail'}"


def open_database(settings: Settings) -> Database:
    if is_sqlite(settings.resolved_database_url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database.connect(settings.resolved_database_url)


async def prepare(db: Database, settings: Settings) -> None:
    """Migrate a SQLite database (creating its folder); check any other is current."""
    url = settings.resolved_database_url
    if is_sqlite(url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    await prepare_database(db, auto_migrate=is_sqlite(url))


def run_database_command(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; database, schema and plan-file problems exit with one line."""
    try:
        return asyncio.run(work)
    except (SchemaOutdated, PlansError) as exc:
        raise fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise fail(f"database error: {first_line(exc)}") from None


def run_with_database(action: Callable[[Database, Settings], Awaitable[T]]) -> T:
    """Run ``action`` against the configured database (SQLite is migrated on first use);
    database, schema and plan-file problems exit with one line."""

    async def go() -> T:
        settings = get_settings()
        db = open_database(settings)
        try:
            await prepare(db, settings)
            return await action(db, settings)
        finally:
            await db.aclose()

    return run_database_command(go())


async def _upgrade(revision: str) -> str | None:
    db = open_database(get_settings())
    try:
        await upgrade(db.engine, revision)
        return await current_revision(db.engine)
    finally:
        await db.aclose()


async def _current() -> str | None:
    db = open_database(get_settings())
    try:
        return await current_revision(db.engine)
    finally:
        await db.aclose()


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    try:
        reached = asyncio.run(_upgrade(revision))
    except (SQLAlchemyError, OSError) as exc:
        raise fail(f"database upgrade failed: {first_line(exc)}") from None
    typer.echo(f"database at revision {reached}")


@db_app.command("current")
def current_command() -> None:
    """Show the database's revision and the latest one shipped."""
    try:
        current = asyncio.run(_current())
    except (SQLAlchemyError, OSError) as exc:
        raise fail(f"cannot read the database: {first_line(exc)}") from None
    typer.echo(f"current: {current or 'none'}  head: {head_revision()}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
