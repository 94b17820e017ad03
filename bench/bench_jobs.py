#!/usr/bin/env python3
"""Asynchronous jobs in the ``serve`` process: enqueue-to-start latency and jobs/s.

Builds the real API app (the instant provider, 512×512, ``--accounts`` enterprise users)
behind ``httpx.ASGITransport``; ``--clients`` concurrent clients submit ``--n`` single-image
jobs (``Prefer: respond-async``) round-robin over the accounts, then wait until every job
has ended. Enqueue-to-start is ``started_at - created_at`` of each job row (the hold's
transaction to the worker taking it); jobs/s is ``n / (last finished - first created)``.
The same run then sends ``--n`` synchronous creates with the same clients, for the ratio.
``--rate`` paces the submits (open loop) below the runner's capacity, so enqueue-to-start
measures the queue's own delay rather than a backlog.

    python bench/bench_jobs.py [--n 300] [--clients 8] [--accounts 20] [--postgres URL]

With ``--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test`` it runs on a fresh
database created on that server for the run and dropped after it (default: SQLite).

The Procrastinate engine (several worker processes) is not built yet: only the
in-process runner is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

SIZE = 512
BODY = {"prompt": "bench image", "provider": "instant", "model": "instant",
        "width": SIZE, "height": SIZE}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(n: int, clients: int, accounts: int, database_url: str | None,
              rate: float | None = None) -> dict[str, Any]:
    import httpx
    from sqlalchemy import select

    from imagestudio.api.app import create_app
    from imagestudio.api.config import ServerSettings
    from imagestudio.container import build_services
    from imagestudio.db.job_models import Job
    from imagestudio.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    extra: dict[str, Any] = {"database_url": database_url} if database_url else {}
    settings = Settings(_env_file=None, data_dir=data_dir, **extra)
    services = build_services(settings, instant_provider=True)
    server = ServerSettings(_env_file=None, url_secret="bench", auto_migrate=True,
                            worker_threads=None, auth_cache_ttl_s=60)
    app = create_app(settings, services, server)
    async with app.router.lifespan_context(app):
        persistence = services.persistence
        assert persistence is not None
        keys = []
        for i in range(accounts):
            created = await persistence.accounts.create_user(f"bench{i}", plan="enterprise")
            keys.append({"Authorization": f"Bearer {created.key}"})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            async def submit_all(prefer: dict[str, str], expect: int,
                                 pace: float | None = None) -> float:
                counter = iter(range(n))
                begun = time.perf_counter()

                async def worker() -> None:
                    for i in counter:
                        if pace:  # open loop: job i is due at i / pace seconds
                            await asyncio.sleep(max(0.0, begun + i / pace - time.perf_counter()))
                        response = await client.post("/api/image-studio/create", json=BODY,
                                                     headers={**keys[i % accounts], **prefer})
                        assert response.status_code == expect, response.text

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(clients)))
                return time.perf_counter() - started

            await submit_all({}, 200)  # warm-up (and the sync figure below is measured anew)
            submit_s = await submit_all({"Prefer": "respond-async"}, 202, rate)
            while True:
                async with persistence.db.engine.connect() as conn:
                    rows = (await conn.execute(select(Job.state, Job.created_at, Job.started_at,
                                                      Job.finished_at))).all()
                if all(r.state in ("succeeded", "failed", "cancelled") for r in rows):
                    break
                await asyncio.sleep(0.05)
            sync_s = await submit_all({}, 200)
    waits = [(r.started_at - r.created_at).total_seconds() * 1000 for r in rows]
    span = (max(r.finished_at for r in rows) - min(r.created_at for r in rows)).total_seconds()
    return {
        "jobs": len(rows),
        "failed": sum(r.state != "succeeded" for r in rows),
        "start_ms_p50": round(statistics.median(waits), 2),
        "start_ms_p99": round(percentile(waits, 0.99), 2),
        "jobs_per_s": round(len(rows) / span, 1),
        "submit_per_s": round(n / submit_s, 1),
        "sync_creates_per_s": round(n / sync_s, 1),
    }


@contextlib.asynccontextmanager
async def fresh_postgres(server_url: str) -> AsyncIterator[str]:
    """A database of its own on ``server_url``'s server, dropped afterwards."""
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bench_jobs_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    if args.postgres is None:
        return await run(args.n, args.clients, args.accounts, None, args.rate)
    async with fresh_postgres(args.postgres) as url:
        return await run(args.n, args.clients, args.accounts, url, args.rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    parser.add_argument("--rate", type=float, default=None,
                        help="submit this many jobs/s (open loop; default: as fast as they go)")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
