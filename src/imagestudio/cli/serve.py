"""``imagestudio serve``: run the HTTP API with uvicorn (docs at /docs)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import os
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from imagestudio import logs
from imagestudio.api.config import ServerSettings
from imagestudio.cli.db import fail, first_line, open_database
from imagestudio.db.migrate import SchemaOutdated, prepare_database
from imagestudio.db.session import is_sqlite
from imagestudio.settings import Settings, get_settings

# With 32 creates in flight, what they hold fills the default young generation (700) every
# five requests, and each pass walks all of it; a full pass comes every ~600 requests.
# These thresholds made creates 8 % cheaper at c = 32 (7 % more requests/s over HTTP, a
# lower p99) with resident memory unchanged; see docs/performance.md.
GC_THRESHOLDS = (20_000, 50, 100)


def _limit_malloc_arenas() -> None:
    # glibc gives every thread its own heap arena; with worker threads encoding images that
    # multiplies resident memory. Two arenas keep RSS flat (must run before threads start).
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX


async def _check_database(settings: Settings, server: ServerSettings) -> None:
    db = open_database(settings)
    try:
        auto = server.auto_migrate
        if auto is None:
            auto = is_sqlite(settings.resolved_database_url)
        await prepare_database(db, auto_migrate=auto)
    finally:
        await db.aclose()


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    single_user: Annotated[
        bool,
        typer.Option(
            "--single-user",
            help="Let a browser on this machine sign in as the user 'local' without a key.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="API processes (PostgreSQL only above 1; they "
                     "share the request rate limit through it)."),
    ] = 1,
) -> None:
    """Serve the REST API and the web UI at / (SQLite databases are migrated automatically)."""
    from imagestudio.web.local_session import is_loopback_host

    _limit_malloc_arenas()
    settings, server = get_settings(), ServerSettings()
    if single_user:
        if not is_loopback_host(host):
            raise fail("--single-user needs a loopback --host (127.0.0.1, ::1 or localhost)")
        settings = settings.model_copy(update={"single_user": True})
    elif settings.single_user and not is_loopback_host(host):
        raise fail("single-user mode (IMAGESTUDIO_SINGLE_USER) needs a loopback --host")
    if settings.job_queue == "procrastinate" and is_sqlite(settings.resolved_database_url):
        raise fail("IMAGESTUDIO_JOB_QUEUE=procrastinate needs PostgreSQL "
                   "(IMAGESTUDIO_DATABASE_URL); with SQLite jobs run in serve (embedded)")
    if workers > 1 and is_sqlite(settings.resolved_database_url):
        raise fail("--workers above 1 needs PostgreSQL (IMAGESTUDIO_DATABASE_URL); "
                   "SQLite is served by one process")
    try:
        asyncio.run(_check_database(settings, server))
    except SchemaOutdated as exc:
        raise fail(str(exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise fail(f"cannot open the database: {first_line(exc)}") from None
    import uvicorn  # the CLI's other commands start without the web stack

    from imagestudio.api.app import create_app

    logs.configure(server.log_format, log_level)
    log_config = None if server.log_format == "json" else uvicorn.config.LOGGING_CONFIG
    if workers > 1:  # each process builds its app from the environment
        os.environ["IMAGESTUDIO_RATE_LIMIT_SHARED"] = "true"
        if settings.single_user:
            os.environ["IMAGESTUDIO_SINGLE_USER"] = "true"
        uvicorn.run("imagestudio.api.app:app_from_environment", factory=True,
                    workers=workers, host=host, port=port, access_log=access_log,
                    log_level=log_level, log_config=log_config)
        return
    app = create_app(settings, server=server)
    # What is loaded by now lives as long as the process; frozen, the cyclic collector's
    # full passes no longer walk it (they otherwise stall requests for milliseconds).
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level=log_level,
                log_config=log_config)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
