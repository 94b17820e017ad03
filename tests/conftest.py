"""Shared fixtures: ``database_url`` runs a test on SQLite and, when configured, PostgreSQL;
``cli_env`` and ``cli_with`` run CLI commands in a clean environment.

PostgreSQL runs when ``IMAGESTUDIO_TEST_POSTGRES_URL`` names a server
(``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); each test gets a fresh database,
dropped afterwards. Without the variable the PostgreSQL cases are skipped, unless
``IMAGESTUDIO_REQUIRE_POSTGRES=1`` (CI) makes that a failure.

``migrated_database_url`` is the same, already at the migration head: each test copies a
template that every test worker migrates once (a file copy for SQLite,
``CREATE DATABASE ... TEMPLATE`` for PostgreSQL). Migrating per test cost 0.15 s on SQLite
and 0.35 s on PostgreSQL, in most of the suite's tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy.engine import make_url

from imagestudio import container
from imagestudio.catalog import load_catalog
from imagestudio.db.migrate import upgrade
from imagestudio.db.session import Database
from imagestudio.settings import get_settings

POSTGRES_ENV = "IMAGESTUDIO_TEST_POSTGRES_URL"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:  # noqa: ARG001 - the hook's
    """``-n auto``: one and a half workers per core. Most of the suite's time is spent
    waiting on real servers, browsers and vendor emulators (the suite used about one core
    of two with one worker per core), so a third worker on two cores overlaps the waits."""
    return max(2, round((os.cpu_count() or 1) * 1.5))


@pytest.fixture(scope="session", autouse=True)
def _packaged_catalog_parsed_once() -> Iterator[None]:
    """``build_services`` without a catalog loads the packaged one; its files do not change
    during a run, and parsing them took ~0.1 s of each test's app. The loader itself is
    tested in ``tests/catalog``."""
    catalog = load_catalog()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(container, "load_catalog", lambda: catalog)
        yield


def _admin_dsn(base_url: str) -> str:
    return make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(base_url: str, name: str) -> str:
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def _admin(base_url: str, statement: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_admin_dsn(base_url))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


async def _postgres_database(base_url: str, template: str | None = None) -> AsyncIterator[str]:
    name = f"istest_{uuid.uuid4().hex[:16]}"
    await _admin(base_url, f'CREATE DATABASE "{name}"'
                 + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _with_database(base_url, name)
    finally:
        await _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _migrate(url: str) -> None:
    database = Database.connect(url)
    try:
        await upgrade(database.engine)
    finally:
        await database.aclose()


def _postgres_base(request: pytest.FixtureRequest) -> str:
    """The server's URL, or skip (or fail, where PostgreSQL is required)."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("IMAGESTUDIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is required in this run")
        pytest.skip(f"set {POSTGRES_ENV} to run against PostgreSQL")
    return base


def _run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` on an event loop of its own: the templates are first requested from
    inside a test's running loop."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the migration head, built once per test worker."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    _run_apart(_migrate(f"sqlite+aiosqlite:///{path}"))
    # Closing the last connection checkpoints the WAL into the file: one file to copy.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database at the migration head, one per test worker,
    dropped when the worker ends (only requested where PostgreSQL is configured)."""
    base = os.environ[POSTGRES_ENV]
    name = f"istpl_{uuid.uuid4().hex[:16]}"
    _run_apart(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        _run_apart(_migrate(_with_database(base, name)))
        yield name
    finally:
        _run_apart(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables) for this test alone."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    async for url in _postgres_database(_postgres_base(request)):
        yield url


@pytest.fixture(params=BACKENDS)
async def migrated_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database at the migration head, with no rows, for this test alone."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    base = _postgres_base(request)
    template = request.getfixturevalue("postgres_template")
    async for url in _postgres_database(base, template):
        yield url


@pytest.fixture
async def db(migrated_database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend of ``migrated_database_url``."""
    database = Database.connect(migrated_database_url)
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
