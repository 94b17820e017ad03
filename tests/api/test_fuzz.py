"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis).

Every operation is called with a valid API key on a real uvicorn server on a loopback
port, over SQLite and PostgreSQL, with schemathesis' checks: no 5xx, and every status
code, content type, header and body conforms to the OpenAPI document; schema-invalid
input is refused. One check is left out, ``positive_data_acceptance`` (every
schema-valid request must succeed): the API refuses schema-valid requests on purpose
with a 422 naming the field — an unknown template id, a tag outside the tag alphabet,
bytes that are no image, a ledger cursor that is not one of yours, and JSON numbers
such as ``2.0`` for an integer (JSON Schema calls them integers; the strict schemas do
not coerce).
The example budget keeps each database under a minute on a small machine;
``IMAGESTUDIO_FUZZ_EXAMPLES`` raises it (docs/fuzzing.md has the long run).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import make_url
from tests.api.conftest import make_services, server_settings
from tests.conftest import POSTGRES_ENV

from imagestudio.api.app import create_app
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.settings import Settings

EXAMPLES = int(os.environ.get("IMAGESTUDIO_FUZZ_EXAMPLES", "12"))


@dataclass
class Served:
    base_url: str
    headers: dict[str, str]


def _postgres_url() -> Iterator[str]:
    import asyncpg

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        if os.environ.get("IMAGESTUDIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is required in this run")
        pytest.skip(f"set {POSTGRES_ENV} to run against PostgreSQL")
    url = make_url(base)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"isfuzz_{uuid.uuid4().hex[:16]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("fuzz")
    urls = (iter([f"sqlite+aiosqlite:///{data / 'fuzz.db'}"]) if request.param == "sqlite"
            else _postgres_url())
    database_url = next(urls)
    try:
        yield from _serve(data, database_url)
    finally:
        next(urls, None)


def _serve(data: Path, database_url: str) -> Iterator[Served]:
    settings_ = Settings(_env_file=None, data_dir=data / "data", database_url=database_url,
                         wavespeed_api_key="test-key", retry_max_attempts=1)
    services = make_services(settings_, WaveSpeedEmulator(api_key="test-key",
                                                          polls_before_done=0))
    app = create_app(settings_, services, server_settings())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(server.serve(sockets=[sock]),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)

    async def setup() -> str:
        persistence = app.state.api.persistence
        user = await persistence.accounts.create_user("fuzz", plan="enterprise")
        await persistence.credits.admin.grant("fuzz", 1_000_000_000, note="fuzzing")
        return str(user.key)

    key = asyncio.run_coroutine_threadsafe(setup(), loop).result(30)
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}",
                     {"Authorization": f"Bearer {key}"})
    finally:
        server.should_exit = True
        thread.join(30)
        asyncio.run_coroutine_threadsafe(services.aclose(), loop) if loop.is_running() else (
            loop.run_until_complete(services.aclose()))
        loop.close()
        sock.close()


def test_every_operation_conforms_and_never_fails(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
        def run(case: Case) -> None:
            case.call_and_validate(base_url=served.base_url, headers=served.headers,
                                   excluded_checks=[positive_data_acceptance])

        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - collect every operation's failure
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
