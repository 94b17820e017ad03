"""Shared fixtures: ``database_url`` runs a test on SQLite and, when configured, PostgreSQL;
``cli_env`` and ``cli_with`` run CLI commands in a clean environment.

PostgreSQL runs when ``IMAGESTUDIO_TEST_POSTGRES_URL`` names a server
(``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); each test gets a fresh database,
dropped afterwards. Without the variable the PostgreSQL cases are skipped, unless
``IMAGESTUDIO_REQUIRE_POSTGRES=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy.engine import make_url

from imagestudio.db.migrate import upgrade
from imagestudio.db.session import Database
from imagestudio.settings import get_settings

POSTGRES_ENV = "IMAGESTUDIO_TEST_POSTGRES_URL"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:  # noqa: ARG001 - the hook's
    """``-n auto``: one and a half workers per core. Most of the suite's time is spent
    waiting on real servers, browsers and vendor emulators (the suite used about one core
    of two with one worker per core), so a third worker on two cores overlaps the waits."""
    return max(2, round((os.cpu_count() or 1) * 1.5))


async def _postgres_database(base_url: str) -> AsyncIterator[str]:
    import asyncpg

    url = make_url(base_url)
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"istest_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables) for this test alone."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("IMAGESTUDIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is required in this run")
        pytest.skip(f"set {POSTGRES_ENV} to run against PostgreSQL")
    async for url in _postgres_database(base):
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend of ``database_url``."""
    database = Database.connect(database_url)
    await upgrade(database.engine)
    try:
        yield database
    finally:
        await database.aclose()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No ``IMAGESTUDIO_*`` variables, no stray ``.env`` (the working directory is
    ``tmp_path``), a fresh data directory under it, and settings read anew."""
    for name in list(os.environ):
        if name.startswith("IMAGESTUDIO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMAGESTUDIO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def cli_with(cli_env: Path) -> Callable[..., typer.Typer]:
    """``cli_with(module, ...)``: a Typer app with those CLI modules' commands, in
    :func:`cli_env`."""

    def build(*modules: Any) -> typer.Typer:
        app = typer.Typer()
        for module in modules:
            module.register(app)
        return app

    return build
