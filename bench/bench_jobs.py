#!/usr/bin/env python3
"""Asynchronous jobs in the ``serve`` process: enqueue-to-start latency and jobs/s.

Builds the real API app (the instant provider, 512×512, ``--accounts`` enterprise users)
behind ``httpx.ASGITransport``; ``--clients`` concurrent clients submit ``--n`` single-image
jobs (``Prefer: respond-async``) round-robin over the accounts, then wait until every job
has ended. Enqueue-to-start is ``started_at - created_at`` of each job row (the hold's
transaction to the worker taking it); jobs/s is ``n / (last finished - first created)``.
The same run then sends ``--n`` synchronous creates with the same clients, for the ratio.
Each phase also reports where its CPU went, per job: this process (the API), the queue
workers and the PostgreSQL server processes (``/proc/PID/stat`` utime + stime).
``--rate`` paces the submits (open loop) below the runner's capacity, so enqueue-to-start
measures the queue's own delay rather than a backlog.

    python bench/bench_jobs.py [--n 300] [--clients 8] [--accounts 20] [--postgres URL]
                               [--queue-workers 2]

With ``--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test`` it runs on a fresh
database created on that server for the run and dropped after it (default: SQLite).
``--queue-workers N`` (PostgreSQL) defers the jobs to Procrastinate and starts N
``imagestudio worker`` processes (``--worker-concurrency``, 4 each) to run them; the synchronous
creates still run in the app, against the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

SIZE = 512
BODY = {"prompt": "bench image", "provider": "instant", "model": "instant",
        "width": SIZE, "height": SIZE}


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """utime + stime of ``pid`` in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU seconds of this process, the queue workers and PostgreSQL, over one phase."""

    def __init__(self, workers: list[int]) -> None:
        self.workers = workers

    def sample(self) -> dict[str, float]:
        return {"api": cpu_s(os.getpid()), "workers": sum(cpu_s(p) for p in self.workers),
                "postgres": sum(cpu_s(p) for p in postgres_pids())}

    @staticmethod
    def per_job_ms(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, float]:
        spent = {k: max(0.0, after[k] - before[k]) * 1000 / n for k in before}
        return {k: round(v, 2) for k, v in {**spent, "total": sum(spent.values())}.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextlib.contextmanager
def queue_workers(count: int, concurrency: int, database_url: str,
                  data_dir: Path) -> Iterator[list[int]]:
    """``count`` ``imagestudio worker`` processes over the run's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env.update({"IMAGESTUDIO_DATABASE_URL": database_url, "IMAGESTUDIO_DATA_DIR": str(data_dir),
                "IMAGESTUDIO_JOB_QUEUE": "procrastinate",
                "IMAGESTUDIO_ENABLE_INSTANT_PROVIDER": "true"})
    procs = [subprocess.Popen([sys.executable, "-m", "imagestudio", "worker", "--concurrency",
                               str(concurrency)], env=env, stdout=subprocess.DEVNULL)
             for _ in range(count)]
    try:
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


async def _workers_up(db: Any, count: int) -> None:
    from sqlalchemy import text

    while True:
        async with db.engine.connect() as conn:
            up = (await conn.execute(text("SELECT count(*) FROM procrastinate_workers"))).scalar()
        if up is not None and up >= count:
            return
        await asyncio.sleep(0.1)


async def run(n: int, clients: int, accounts: int, database_url: str | None,
              rate: float | None = None, workers: int = 0,
              concurrency: int = 4) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        return await _run(n, clients, accounts, database_url, rate, (workers, concurrency),
                          stack)


async def _run(n: int, clients: int, accounts: int, database_url: str | None,
               rate: float | None, queue: tuple[int, int],
               stack: contextlib.ExitStack) -> dict[str, Any]:
    workers, concurrency = queue
    import httpx
    from sqlalchemy import func, select

    from imagestudio.api.app import create_app
    from imagestudio.api.config import ServerSettings
    from imagestudio.container import build_services
    from imagestudio.db.job_models import Job
    from imagestudio.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    extra: dict[str, Any] = {"database_url": database_url} if database_url else {}
    if workers:
        assert database_url is not None, "--queue-workers needs --postgres"
        extra["job_queue"] = "procrastinate"
    settings = Settings(_env_file=None, data_dir=data_dir, **extra)
    services = build_services(settings, instant_provider=True)
    server = ServerSettings(_env_file=None, url_secret="bench", auto_migrate=True,
                            worker_threads=None, auth_cache_ttl_s=60)
    app = create_app(settings, services, server)
    async with app.router.lifespan_context(app):
        persistence = services.persistence
        assert persistence is not None
        meter = CpuMeter([])
        if workers and database_url:  # after the app migrated the database
            meter.workers = stack.enter_context(
                queue_workers(workers, concurrency, database_url, data_dir))
            await _workers_up(persistence.db, workers)
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
            cpu_before = meter.sample()
            submit_s = await submit_all({"Prefer": "respond-async"}, 202, rate)
            active = select(func.count()).where(Job.state.in_(("queued", "running")))
            while True:  # one cheap count per poll: the waiting costs the runners nothing
                async with persistence.db.engine.connect() as conn:
                    if not (await conn.execute(active)).scalar():
                        break
                await asyncio.sleep(0.05)
            async with persistence.db.engine.connect() as conn:
                rows = (await conn.execute(select(Job.state, Job.created_at, Job.started_at,
                                                  Job.finished_at))).all()
            cpu_jobs = meter.per_job_ms(cpu_before, meter.sample(), n)
            cpu_before = meter.sample()
            sync_s = await submit_all({}, 200)
            cpu_sync = meter.per_job_ms(cpu_before, meter.sample(), n)
    waits = [(r.started_at - r.created_at).total_seconds() * 1000 for r in rows]
    span = (max(r.finished_at for r in rows) - min(r.created_at for r in rows)).total_seconds()
    return {
        "jobs": len(rows),
        "failed": sum(r.state != "succeeded" for r in rows),
        "start_ms_p50": round(statistics.median(waits), 2),
        "start_ms_p99": round(percentile(waits, 0.99), 2),
        "run_ms_p50": round(statistics.median(
            (r.finished_at - r.started_at).total_seconds() * 1000 for r in rows), 2),
        "jobs_per_s": round(len(rows) / span, 1),
        "submit_per_s": round(n / submit_s, 1),
        "sync_creates_per_s": round(n / sync_s, 1),
        "cpu_ms_per_job": cpu_jobs,
        "cpu_ms_per_sync_create": cpu_sync,
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
        return await run(args.n, args.clients, args.accounts, url, args.rate,
                         args.queue_workers, args.worker_concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    parser.add_argument("--rate", type=float, default=None,
                        help="submit this many jobs/s (open loop; default: as fast as they go)")
    parser.add_argument("--queue-workers", type=int, default=0,
                        help="run the jobs on Procrastinate with this many worker processes "
                        "(needs --postgres)")
    parser.add_argument("--worker-concurrency", type=int, default=4,
                        help="jobs each queue worker runs at once")
    args = parser.parse_args()
    result = asyncio.run(measure(args))
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
