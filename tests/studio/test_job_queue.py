"""Jobs on Procrastinate: a real ``serve`` defers, real ``imagestudio worker`` processes run.

On a fresh PostgreSQL database (created by the fixture, dropped afterwards). WaveSpeed's
emulator runs in a thread of this test, so the test counts the submits it received.

1. A job the API accepted stays ``queued`` while no worker runs (``serve`` runs nothing),
   then a worker runs it to ``succeeded``, charged exactly.
2. Three jobs running on a worker that is killed with SIGKILL while two units are polling
   and four wait for a vendor slot: a new worker takes them over once the dead one's
   heartbeat is stale, polls the two stored prediction ids, sends the four, and every job
   ends ``succeeded`` and settled, no unit submitted twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import POSTGRES_ENV, _postgres_database
from tests.studio.test_jobs_restart import (
    CREDIT,
    EXE,
    IDEOGRAM_MICROS,
    _events,
    _port,
    _serve,
    _setup,
    _show,
    _wait,
    wavespeed,
)

from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.settings import Settings
from imagestudio.vendors import vendor

__all__ = ["wavespeed"]
pytestmark = pytest.mark.postgres
VARIATIONS = (2, 1, 3)
TERMINAL = ("succeeded", "failed", "cancelled")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run against PostgreSQL")
    async for url in _postgres_database(base):
        yield url


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*EXE, "worker", "--concurrency", "4"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def test_worker_runs_jobs_and_a_killed_worker_is_replaced(
    pg_url: str, tmp_path: Path, wavespeed: tuple[WaveSpeedEmulator, str]
) -> None:
    emulator, base_url = wavespeed
    spec = vendor("wavespeed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env.update({
        "IMAGESTUDIO_DATA_DIR": str(tmp_path / "data"),
        "IMAGESTUDIO_DATABASE_URL": pg_url,
        "IMAGESTUDIO_JOB_QUEUE": "procrastinate",
        "IMAGESTUDIO_JOB_STALLED_S": "3",
        spec.base_url_env: base_url,
        spec.key_env: "emulated",
        "IMAGESTUDIO_WAVESPEED_MAX_CONCURRENCY": "2",
    })
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=pg_url)
    key = _setup(settings)  # migrates the fresh database
    port = _port()
    base = f"http://127.0.0.1:{port}/api/image-studio"
    headers = {"Authorization": f"Bearer {key}"}
    logs = tmp_path / "processes.log"
    procs: list[subprocess.Popen[bytes]] = [_serve(env, port, logs)]

    def submit(client: httpx.Client, n: int) -> str:
        response = client.post(
            f"{base}/create", headers={**headers, "Prefer": "respond-async"},
            json={"prompt": f"poster {n}", "model": "wavespeed/ideogram-v3-turbo",
                  "width": 1024, "height": 1024, "num_variations": n})
        assert response.status_code == 202, response.text
        job_id: str = response.json()["id"]
        return job_id

    def state(client: httpx.Client, job_id: str) -> str:
        found: str = client.get(f"{base}/jobs/{job_id}", headers=headers).json()["state"]
        return found

    try:
        with httpx.Client(timeout=30) as client:
            # 1. Queued by the API; nothing runs it until a worker starts.
            emulator.polls_before_done = 1
            first = submit(client, 2)
            _wait(lambda: state(client, first) == "queued")
            time.sleep(1.5)
            assert state(client, first) == "queued" and not emulator.jobs
            streamed: list[tuple[int, str]] = []  # followed live from serve's SSE

            def follow() -> None:
                with httpx.Client(timeout=30) as own:
                    streamed.extend(_events(own, f"{base}/jobs/{first}/events", headers))

            reader = threading.Thread(target=follow)
            reader.start()
            procs.append(_worker(env, logs))
            _wait(lambda: state(client, first) in TERMINAL, lambda: logs.read_text())
            reader.join(10)  # well inside the 15 s keep-alive: serve saw the worker's events
            assert not reader.is_alive()
            types = [t for _, t in streamed]
            assert types[0] == "queued" and types[-1] == "succeeded", streamed
            assert sorted(types[1:-1]) == ["unit_done"] * 2 + ["unit_started"] * 2, streamed
            job = client.get(f"{base}/jobs/{first}", headers=headers).json()
            assert job["state"] == "succeeded", job
            assert job["cost"]["micros"] == 2 * IDEOGRAM_MICROS
            assert len(emulator.jobs) == 2
            sent_before = set(emulator.jobs)

            # 2. Kill the worker while two units poll and four wait for a vendor slot.
            emulator.polls_before_done = 10**9
            ids = [submit(client, n) for n in VARIATIONS]
            _wait(lambda: len(emulator.jobs) == 4
                  and all(j.polls >= 1 for k, j in emulator.jobs.items() if k not in sent_before)
                  and {state(client, i) for i in ids} == {"running"},
                  lambda: f"{len(emulator.jobs)} jobs; {logs.read_text()}")
            procs[1].send_signal(signal.SIGKILL)
            procs[1].wait()
            shown = _show(settings)
            assert shown.open_holds == 3
            emulator.polls_before_done = 0
            procs.append(_worker(env, logs))
            _wait(lambda: all(state(client, i) in TERMINAL for i in ids),
                  lambda: logs.read_text())
            jobs = [client.get(f"{base}/jobs/{i}", headers=headers).json() for i in ids]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)

    assert "handing it to another" in logs.read_text()  # taken over as stalled, not re-queued
    assert len(emulator.jobs) == 2 + sum(VARIATIONS)  # one submit per unit, none twice
    for job, n in zip(jobs, VARIATIONS, strict=True):
        assert job["state"] == "succeeded", job
        assert job["progress"]["succeeded"] == n
        assert job["cost"]["micros"] == n * IDEOGRAM_MICROS
    shown = _show(settings)
    assert shown.open_holds == 0 and shown.usage.held.micros == 0
    total = 2 + sum(VARIATIONS)
    assert shown.usage.balance.micros == CREDIT - total * IDEOGRAM_MICROS


async def _pool_checks(pg_url: str, idle_s: float, uses: int,
                       monkeypatch: pytest.MonkeyPatch) -> int:
    import psycopg_pool

    from imagestudio.studio.job_queue import IdleCheck, conninfo

    checks = [0]
    real = psycopg_pool.AsyncConnectionPool.check_connection

    async def counted(conn: object) -> None:
        checks[0] += 1
        await real(conn)  # type: ignore[arg-type]

    monkeypatch.setattr(psycopg_pool.AsyncConnectionPool, "check_connection", counted)
    pool = IdleCheck(idle_s).pool(conninfo=conninfo(pg_url), min_size=1, max_size=1,
                                  open=False)
    await pool.open(wait=True)
    try:
        for _ in range(uses):
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
    finally:
        await pool.close()
    return checks[0]


async def test_the_queue_pool_checks_a_connection_only_after_it_idled(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Procrastinate's default pool checks every checkout (a round trip per query).
    assert await _pool_checks(pg_url, 3600.0, 4, monkeypatch) == 1  # the fresh one only
    assert await _pool_checks(pg_url, 0.0, 4, monkeypatch) == 4
