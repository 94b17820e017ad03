"""Upscales and optimizations on Procrastinate: a real ``serve`` defers the jobs (nothing
runs in it), a real ``imagestudio worker`` process restores each from its row and runs
it, with the code every other kind runs (PostgreSQL only)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tests.studio.test_job_queue import TERMINAL, _worker, pg_url
from tests.studio.test_jobs_restart import _port, _serve, _setup, _show, _wait

from imagestudio.settings import Settings

__all__ = ["pg_url"]
pytestmark = pytest.mark.postgres


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_worker_runs_upscale_and_optimize_jobs(pg_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env.update({"IMAGESTUDIO_DATA_DIR": str(tmp_path / "data"),
                "IMAGESTUDIO_DATABASE_URL": pg_url, "IMAGESTUDIO_JOB_QUEUE": "procrastinate"})
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", database_url=pg_url)
    key = _setup(settings)
    port = _port()
    base = f"http://127.0.0.1:{port}/api/image-studio"
    headers = {"Authorization": f"Bearer {key}"}
    logs = tmp_path / "processes.log"
    procs = [_serve(env, port, logs)]
    try:
        with httpx.Client(timeout=30) as client:
            uploaded = client.post(f"{base}/assets", headers=headers,
                                   files={"file": ("s.png", _png(800, 600), "image/png")})
            assert uploaded.status_code == 201, uploaded.text
            source = uploaded.json()["id"]
            accepted = [client.post(f"{base}/{path}", json=body,
                                    headers={**headers, "Prefer": "respond-async"})
                        for path, body in (
                            ("upscale", {"asset_id": source, "mode": "local", "scale": 2}),
                            ("optimize", {"asset_id": source,
                                          "templates": ["instagram_story", "email_banner"]}))]
            assert [a.status_code for a in accepted] == [202, 202], [a.text for a in accepted]
            ids = [a.json()["id"] for a in accepted]

            def jobs() -> list[dict[str, object]]:
                return [client.get(f"{base}/jobs/{i}", headers=headers).json() for i in ids]

            time.sleep(1.0)
            assert [j["state"] for j in jobs()] == ["queued", "queued"]  # serve runs nothing
            procs.append(_worker(env, logs))
            _wait(lambda: all(j["state"] in TERMINAL for j in jobs()), lambda: logs.read_text())
            upscaled, optimized = jobs()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)
    assert upscaled["state"] == "succeeded", upscaled
    assert optimized["state"] == "succeeded", optimized
    up = upscaled["result"]
    assert isinstance(up, dict) and (up["width"], up["height"]) == (1600, 1200)
    opt = optimized["result"]
    assert isinstance(opt, dict) and len(opt["renditions"]) == 2
    assert all(r["asset_id"] for r in opt["renditions"])
    shown = _show(settings)
    assert shown.open_holds == 0
