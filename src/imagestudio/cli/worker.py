"""``imagestudio worker``: run jobs from the Procrastinate queue (PostgreSQL only)."""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from imagestudio import logs
from imagestudio.api.config import ServerSettings
from imagestudio.cli.db import fail, first_line
from imagestudio.container import build_queue_worker, build_services
from imagestudio.db.migrate import SchemaOutdated, prepare_database
from imagestudio.db.session import is_sqlite
from imagestudio.settings import Settings, get_settings
from imagestudio.studio.job_queue import conninfo, ensure_schema, run_worker, webhook_client


async def _work(settings: Settings, concurrency: int) -> None:
    services = build_services(settings,
                              instant_provider=ServerSettings().enable_instant_provider)
    try:
        assert services.persistence is not None
        await prepare_database(services.persistence.db, auto_migrate=False)
        await ensure_schema(conninfo(settings.resolved_database_url))
        async with webhook_client() as client:
            app = build_queue_worker(services, services.persistence, client)
            await run_worker(app, concurrency=concurrency, stalled_s=settings.job_stalled_s)
    finally:
        await services.aclose()


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs this process runs at once.")
    ] = 4,
) -> None:
    """Run jobs and the periodic tasks from the Procrastinate queue (PostgreSQL).

    IMAGESTUDIO_DATABASE_URL must be PostgreSQL; start several for more throughput."""
    settings = get_settings()
    logs.configure(ServerSettings().log_format)
    if is_sqlite(settings.resolved_database_url):
        raise fail("imagestudio worker needs PostgreSQL: set IMAGESTUDIO_DATABASE_URL "
                   "(with SQLite, `imagestudio serve` runs the jobs itself)")
    if importlib.util.find_spec("procrastinate") is None:
        raise fail("imagestudio worker needs the queue extra: pip install 'imagestudio[queue]'")
    try:
        asyncio.run(_work(settings, concurrency))
    except SchemaOutdated as exc:
        raise fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise fail(f"cannot open the database: {first_line(exc)}") from None


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
