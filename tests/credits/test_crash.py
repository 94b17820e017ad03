"""A real server killed (SIGKILL) mid-generation: its hold is released at the next start.

Loopback only: ``imagestudio emulate huggingface`` answers after 60 s, so the request is
still waiting on the vendor when the server dies.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from imagestudio.container import build_persistence
from imagestudio.credits.schemas import CreditsSummary
from imagestudio.db.migrate import upgrade
from imagestudio.settings import Settings

EXE = [sys.executable, "-m", "imagestudio"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, database_url=database_url)


def _setup(settings: Settings) -> str:
    """Migrate, create user yan (Pro) with $1 of credit; returns the API key."""

    async def go() -> str:
        persistence = build_persistence(settings)
        try:
            await upgrade(persistence.db.engine)
            created = await persistence.accounts.create_user("yan", plan="pro")
            await persistence.credits.admin.grant("yan", 1_000_000)
            return created.key
        finally:
            await persistence.aclose()

    return asyncio.run(go())


def _show(settings: Settings) -> CreditsSummary:
    async def go() -> CreditsSummary:
        persistence = build_persistence(settings)
        try:
            return await persistence.credits.admin.show("yan")
        finally:
            await persistence.aclose()

    return asyncio.run(go())


def _wait(predicate: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[int]:
    port = _port()
    proc = subprocess.Popen(
        [*EXE, "emulate", "huggingface", "--port", str(port), "--latency", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        proc.kill()
        proc.wait()


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [*EXE, "serve", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _wait(lambda: httpx.get(f"http://127.0.0.1:{port}/api/image-studio/health").is_success)
    return proc


def test_killed_server_leaves_a_hold_the_next_start_releases(
    database_url: str, tmp_path: Path, emulator: int
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env.update({
        "IMAGESTUDIO_DATA_DIR": str(tmp_path / "data"),
        "IMAGESTUDIO_DATABASE_URL": database_url,
        "IMAGESTUDIO_AUTO_MIGRATE": "true",
        "IMAGESTUDIO_HUGGINGFACE_BASE_URL": f"http://127.0.0.1:{emulator}/hf-inference",
        "HF_API_KEY": "emulated",
        "IMAGESTUDIO_CREDITS_HOLD_TIMEOUT_S": "1",
        "IMAGESTUDIO_CREDITS_SWEEP_INTERVAL_S": "3600",
        "IMAGESTUDIO_WORKER_THREADS": "2",
    })
    settings = _settings(tmp_path / "data", database_url)
    key = _setup(settings)
    port = _port()
    server = _serve(env, port)
    base = f"http://127.0.0.1:{port}/api/image-studio"
    headers = {"Authorization": f"Bearer {key}"}
    body = {"prompt": "x", "model": "huggingface/flux-schnell", "width": 256, "height": 256,
            "num_variations": 2}
    with httpx.Client(timeout=120) as client:
        pending = subprocess.Popen([  # the create call, left waiting on the vendor
            sys.executable, "-c",
            "import httpx,sys,json; httpx.post(sys.argv[1], json=json.loads(sys.argv[2]), "
            "headers={'Authorization': sys.argv[3]}, timeout=120)",
            f"{base}/create", json.dumps(body), headers["Authorization"],
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(lambda: client.get(f"{base}/usage", headers=headers).json()["held"]["micros"] > 0)
            server.send_signal(signal.SIGKILL)
            server.wait()
        finally:
            pending.kill()
            pending.wait()
        shown = _show(settings)
        assert shown.open_holds == 1 and shown.usage.held.micros == 2_400
        time.sleep(1.1)  # older than the hold timeout

        server = _serve(env, port)  # start-up sweep
        try:
            usage = client.get(f"{base}/usage", headers=headers).json()
        finally:
            server.terminate()
            server.wait()
    assert usage["held"]["micros"] == 0 and usage["balance"]["micros"] == 1_000_000
    assert usage["quotas"]["image_generation"]["used"] == 0
    assert _show(settings).open_holds == 0
