"""``imagestudio serve --workers 2`` on PostgreSQL: two API processes, one rate limit.

Two processes start under the one ``serve``; a free-plan user (10 requests a minute) sends
16 concurrent creates, each on a new connection: exactly 10 are accepted, 6 answer 429.
The kernel decides which process accepts each connection (it may give them all to one),
so the proof that two processes share one window is ``tests/credits/test_shared_rate.py``
(two engines alternating); this test proves the multi-process server runs and enforces it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import POSTGRES_ENV, _postgres_database
from tests.studio.test_jobs_restart import EXE, _port, _wait

from imagestudio.container import build_persistence
from imagestudio.db.migrate import upgrade
from imagestudio.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run against PostgreSQL")
    async for url in _postgres_database(base):
        yield url


async def _user(settings: Settings) -> str:
    persistence = build_persistence(settings)
    try:
        await upgrade(persistence.db.engine)
        return (await persistence.accounts.create_user("fay", plan="free")).key
    finally:
        await persistence.aclose()


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


async def test_two_api_processes_share_the_rate_limit(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=pg_url)
    key = await _user(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env.update({"IMAGESTUDIO_DATA_DIR": str(tmp_path / "data"),
                "IMAGESTUDIO_DATABASE_URL": pg_url})
    port = _port()
    base = f"http://127.0.0.1:{port}/api/image-studio"
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*EXE, "serve", "--port", str(port), "--workers", "2", "--no-access-log",
             "--log-level", "warning"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: httpx.get(f"{base}/health").is_success, lambda: log.read_text())
        _wait(lambda: len(_children(proc.pid)) >= 2, lambda: log.read_text())

        async def create(i: int) -> int:
            async with httpx.AsyncClient(timeout=30) as client:  # a new connection each
                response = await client.post(
                    f"{base}/create", headers={"Authorization": f"Bearer {key}"},
                    json={"prompt": f"kite {i}", "provider": "local",
                          "width": 96, "height": 64})
                return response.status_code

        codes = await asyncio.gather(*(create(i) for i in range(16)))
    finally:
        proc.terminate()
        proc.wait(20)
    assert sorted(codes) == [200] * 10 + [429] * 6, log.read_text()
