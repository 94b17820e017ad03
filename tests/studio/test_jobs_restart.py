"""A real ``imagestudio serve`` killed (SIGKILL) with three jobs running, restarted: every
job ends terminal and settled, and no WaveSpeed job is submitted twice.

WaveSpeed's emulator runs on loopback in a thread of this test, so the test counts the
submits it received. Its jobs stay ``processing`` until the server is dead and it takes two
calls at a time, so at the kill two units are polling and four were never sent: the
restarted server resumes polling the two stored prediction ids (never re-submits them),
sends the four, and captures all six.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from imagestudio.container import build_persistence
from imagestudio.credits.schemas import CreditsSummary
from imagestudio.db.migrate import upgrade
from imagestudio.emulators.asgi import create_app
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.settings import Settings
from imagestudio.vendors import vendor

EXE = [sys.executable, "-m", "imagestudio"]
CREDIT = 1_000_000
IDEOGRAM_MICROS = 30_000
VARIATIONS = (2, 1, 3)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(predicate: Callable[[], Any], why: Callable[[], str] = lambda: "",
          timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out {why()}"[:3000])


@pytest.fixture
def wavespeed() -> Iterator[tuple[WaveSpeedEmulator, str]]:
    emulator = WaveSpeedEmulator(api_key="emulated", polls_before_done=10**9)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(emulator), log_level="warning", lifespan="off",
                            ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield emulator, f"http://127.0.0.1:{port}{emulator.base_path}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _setup(settings: Settings) -> str:
    async def go() -> str:
        persistence = build_persistence(settings)
        try:
            await upgrade(persistence.db.engine)
            created = await persistence.accounts.create_user("kim", plan="pro")
            await persistence.credits.admin.grant("kim", CREDIT)
            return created.key
        finally:
            await persistence.aclose()

    return asyncio.run(go())


def _show(settings: Settings) -> CreditsSummary:
    async def go() -> CreditsSummary:
        persistence = build_persistence(settings)
        try:
            return await persistence.credits.admin.show("kim")
        finally:
            await persistence.aclose()

    return asyncio.run(go())


def _events(client: httpx.Client, url: str, headers: dict[str, str],
            stop_after: int | None = None) -> list[tuple[int, str]]:
    """(id, type) of the SSE events read live from ``url``, until the stream ends or
    ``stop_after`` events came."""
    events: list[tuple[int, str]] = []
    seq = 0
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("id: "):
                seq = int(line.removeprefix("id: "))
            elif line.startswith("event: "):
                events.append((seq, line.removeprefix("event: ")))
                if stop_after is not None and len(events) >= stop_after:
                    break
    return events


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*EXE, "serve", "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    _wait(lambda: httpx.get(f"http://127.0.0.1:{port}/api/image-studio/health").is_success)
    return proc


def test_killed_server_resumes_every_job_without_resubmitting(
    database_url: str, tmp_path: Path, wavespeed: tuple[WaveSpeedEmulator, str]
) -> None:
    emulator, base_url = wavespeed
    spec = vendor("wavespeed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env.update({
        "IMAGESTUDIO_DATA_DIR": str(tmp_path / "data"),
        "IMAGESTUDIO_DATABASE_URL": database_url,
        "IMAGESTUDIO_AUTO_MIGRATE": "true",
        spec.base_url_env: base_url,
        spec.key_env: "emulated",
        "IMAGESTUDIO_WORKER_THREADS": "2",
        "IMAGESTUDIO_WAVESPEED_MAX_CONCURRENCY": "2",
    })
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=database_url)
    key = _setup(settings)
    port = _port()
    base = f"http://127.0.0.1:{port}/api/image-studio"
    headers = {"Authorization": f"Bearer {key}"}
    server = _serve(env, port, tmp_path / "serve.log")
    with httpx.Client(timeout=30) as client:
        try:
            ids = []
            for n in VARIATIONS:
                response = client.post(
                    f"{base}/create", headers={**headers, "Prefer": "respond-async"},
                    json={"prompt": f"poster {n}", "model": "wavespeed/ideogram-v3-turbo",
                          "width": 1024, "height": 1024, "num_variations": n},
                )
                assert response.status_code == 202, response.text
                ids.append(response.json()["id"])
            # WaveSpeed takes two calls at a time: two units are polling (their ids were
            # stored before the first poll), four wait for a slot, never sent.
            _wait(lambda: len(emulator.jobs) == 2
                  and all(j.polls >= 1 for j in emulator.jobs.values())
                  and {client.get(f"{base}/jobs/{i}", headers=headers).json()["state"]
                       for i in ids} == {"running"},
                  lambda: f"{len(emulator.jobs)} jobs; {(tmp_path / 'serve.log').read_text()}")
            before = _events(client, f"{base}/jobs/{ids[2]}/events", headers, stop_after=2)
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait()
        shown = _show(settings)
        assert shown.open_holds == 3
        assert shown.usage.held.micros == sum(VARIATIONS) * IDEOGRAM_MICROS
        emulator.polls_before_done = 0  # the vendor finishes while the studio is down

        server = _serve(env, port, tmp_path / "serve.log")
        try:
            # Followed live across the restart: the stream resumes after the last id seen.
            after = _events(client, f"{base}/jobs/{ids[2]}/events",
                            {**headers, "Last-Event-ID": str(before[-1][0])})

            def ended() -> bool:
                return all(
                    client.get(f"{base}/jobs/{i}", headers=headers).json()["state"]
                    in ("succeeded", "failed", "cancelled")
                    for i in ids
                )

            _wait(ended)
            jobs = [client.get(f"{base}/jobs/{i}", headers=headers).json() for i in ids]
            events = client.get(f"{base}/jobs/{ids[0]}/events", headers=headers).text
        finally:
            server.terminate()
            server.wait()

    # Two resumed by id, four sent after the restart: one submit per unit, none twice.
    assert len(emulator.jobs) == sum(VARIATIONS)
    for job, n in zip(jobs, VARIATIONS, strict=True):
        assert job["state"] == "succeeded", job
        assert job["progress"]["succeeded"] == n
        assert job["cost"]["micros"] == n * IDEOGRAM_MICROS
        assert all(v["url"] for v in job["result"]["variations"])
    assert "event: succeeded" in events
    assert [t for _, t in before] == ["queued", "unit_started"]
    assert [i for i, _ in after] == list(range(before[-1][0] + 1, before[-1][0] + 1 + len(after)))
    assert after[-1][1] == "succeeded" and [t for _, t in after].count("unit_done") == 3
    shown = _show(settings)
    assert shown.open_holds == 0 and shown.usage.held.micros == 0
    assert shown.usage.balance.micros == CREDIT - sum(VARIATIONS) * IDEOGRAM_MICROS
