#!/usr/bin/env python3
"""What plans and credits add to a create, and how one account's creates scale.

In process: the real API app behind ``httpx.ASGITransport``, the instant provider (no
latency) given a price of 1 000 micro-USD per image so every create holds, captures and
writes ledger rows. Two modes in the same run, interleaved in rounds so drift hits both:

  credits   the shipped path: rate limit, plan checks, one hold transaction (generation
            row, hold, quota + spend counters, balance, ledger), capture in the recording
            transaction
  bypassed  the same app whose workflow has a credits service that only writes the
            generation row (no checks, no hold, no capture)

Reports p50/p90 per mode, the added p50 (absolute and as a ratio), the in-process cost of a
pre-flight, and (``--postgres URL``) the throughput of N concurrent creates for a single
account (the hot-row case) with and without credits.

    python bench/bench_credits.py [--rounds 10] [--per-round 40]
                                  [--postgres postgresql+asyncpg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from imagestudio.accounts.auth import Authenticator
from imagestudio.api.app import create_app
from imagestudio.api.config import ServerSettings
from imagestudio.assets.recorder import AssetRecorder
from imagestudio.catalog import load_catalog
from imagestudio.catalog.schemas import PerImagePrice
from imagestudio.container import build_persistence, build_services
from imagestudio.credits.repository import HoldRow
from imagestudio.credits.service import Hold
from imagestudio.db.base import new_id, utcnow
from imagestudio.db.migrate import upgrade
from imagestudio.db.session import Database
from imagestudio.generation.schemas import CreateRequest
from imagestudio.providers.instant import MODEL_ID, with_instant
from imagestudio.providers.local import LocalProvider
from imagestudio.settings import Settings
from imagestudio.studio import runs
from imagestudio.studio.workflow import Started, Workflow

PRICE = 1_000
BODY = {"prompt": "bench image", "provider": "instant", "model": "instant", "width": 64,
        "height": 64}


def priced_catalog() -> Any:
    catalog = with_instant(load_catalog())
    model = catalog.models[MODEL_ID]
    pricing = model.pricing.model_copy(update={"rule": PerImagePrice(kind="per_image",
                                                                     micros=PRICE)})
    models = {**catalog.models, MODEL_ID: model.model_copy(update={"pricing": pricing})}
    return dataclasses.replace(catalog, models=models)


class NoCredits:
    """The credits service with every check and money movement taken out: ``begin`` only
    runs the caller's subject work (the generation row)."""

    def __init__(self, real: Any) -> None:
        self.db, self.clock = real.db, real.clock

    async def replay(self, *_: Any) -> None:
        return None

    async def begin(self, principal: Any, op: Any, *, subject: Any = None,
                    subject_id: str | None = None, **_: Any) -> Hold:
        if subject is not None:
            await self.db.write(subject)
        row = HoldRow("", principal.user_id, op.kind, subject_id, op.quantity, 0, 0, "")
        return Hold(row, None)

    def settle(self, *_: Any, **__: Any) -> None:
        return None

    async def abort(self, *_: Any, **__: Any) -> None:
        return None


def bypassed(persistence: Any) -> Any:
    """``persistence`` whose workflow runs on :class:`NoCredits`."""
    workflow = Workflow(NoCredits(persistence.credits.service), persistence.credits.reports,
                        AssetRecorder(persistence.blobs), persistence.store)
    return dataclasses.replace(persistence, workflow=workflow)


class Ready:
    """A runner that hands over one finished run at once (so only recording is timed)."""

    def __init__(self, ran: Any) -> None:
        self.ran = ran

    async def run(self, *_: Any, **__: Any) -> Any:
        return self.ran


async def build_app(data_dir: Path, url: str, *, bypass: bool) -> tuple[Any, Any, str]:
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=url)
    persistence = build_persistence(settings)
    if bypass:
        persistence = bypassed(persistence)
    services = build_services(settings, catalog=priced_catalog(), persistence=persistence,
                              http_clients={}, providers={"local": LocalProvider()},
                              instant_provider=True)
    server = ServerSettings(_env_file=None, url_secret="bench", auth_cache_ttl_s=60,
                            auto_migrate=True, worker_threads=None)
    app = create_app(settings, services, server)
    return app, services, url


async def make_user(persistence: Any, name: str) -> str:
    created = await persistence.accounts.create_user(name, plan="enterprise")
    await persistence.credits.admin.grant(name, 1_000_000_000_000)
    return str(created.key)


async def timed(client: httpx.AsyncClient, key: str) -> float:
    start = time.perf_counter()
    response = await client.post("/api/image-studio/create", json=BODY,
                                 headers={"Authorization": f"Bearer {key}"})
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"create failed: {response.status_code} {response.text[:300]}")
    return elapsed * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latency(url: str, rounds: int, per_round: int) -> dict[str, Any]:
    """Sequential creates, alternating credits / bypassed rounds on one database."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-credits-"))
    apps = {mode: await build_app(tmp, url, bypass=mode == "bypassed")
            for mode in ("credits", "bypassed")}
    times: dict[str, list[float]] = {mode: [] for mode in apps}
    cpu: dict[str, float] = {mode: 0.0 for mode in apps}
    contexts = []
    clients: dict[str, httpx.AsyncClient] = {}
    keys: dict[str, str] = {}
    try:
        for mode, (app, services, _) in apps.items():
            context = app.router.lifespan_context(app)
            await context.__aenter__()
            contexts.append((context, services))
            clients[mode] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                              base_url="http://bench")
            keys[mode] = await make_user(services.persistence, f"lat-{mode}")
        for mode in apps:  # warm-up
            for _ in range(30):
                await timed(clients[mode], keys[mode])
        for _ in range(rounds):
            for mode in apps:
                start = time.process_time()  # every thread of this process: load-robust
                times[mode] += [await timed(clients[mode], keys[mode]) for _ in range(per_round)]
                cpu[mode] += time.process_time() - start
        parts = await components(apps["credits"][1], keys["credits"])
    finally:
        for client in clients.values():
            await client.aclose()
        for context, services in contexts:
            await context.__aexit__(None, None, None)
            await services.aclose()
    out: dict[str, Any] = {
        mode: {"n": len(v), "p50": pct(v, 0.5), "p90": pct(v, 0.9), "mean": statistics.fmean(v),
               "cpu_ms": cpu[mode] * 1000 / len(v)}
        for mode, v in times.items()
    }
    out["added_cpu_ms"] = out["credits"]["cpu_ms"] - out["bypassed"]["cpu_ms"]
    added = out["credits"]["p50"] - out["bypassed"]["p50"]
    out["added_p50_ms"] = added
    out["ratio_p50"] = out["credits"]["p50"] / out["bypassed"]["p50"]
    out["components"] = parts
    return out


async def components(services: Any, key: str, n: int = 300) -> dict[str, float]:
    """p50 in ms of each credit step alone, in process: the hold transaction (with the
    generation row), recording with and without the settlement in it, and a pre-flight
    (planning and generating excluded)."""
    persistence = services.persistence
    who = await Authenticator(persistence.db).authenticate(f"Bearer {key}")
    module = services.image_generation
    priced = module.planner.plan(CreateRequest(**BODY))
    ready = dataclasses.replace(module, runner=Ready(await module.runner.run(priced.plan)))
    reports = persistence.credits.reports
    workflows = {"record_settle": (persistence.workflow, persistence.credits.service),
                 "record": (bypassed(persistence).workflow, NoCredits(persistence.credits.service))}
    samples: dict[str, list[float]] = {"hold": [], "record_settle": [], "record": [],
                                       "preflight": []}

    async def clock(name: str, call: Any) -> Any:
        start = time.perf_counter()
        value = await call
        samples[name].append((time.perf_counter() - start) * 1000)
        return value

    for _ in range(n):
        for name, (workflow, credits) in workflows.items():
            job_id = new_id()

            def row(conn: Any, job_id: str = job_id) -> None:
                runs.insert_running(conn, job_id, who.user_id, priced.job, 1, PRICE, utcnow())

            begin = credits.begin(who, priced.charge, subject=row, subject_id=job_id)
            hold = await (clock("hold", begin) if name == "record_settle" else begin)
            started = Started(job_id, who.user_id, priced, hold)
            await clock(name, workflow.finish(ready, started))
        await clock("preflight", reports.check(who, priced.charge))
    out = {name: pct(values[n // 10:], 0.5) for name, values in samples.items()}
    out["settle"] = out["record_settle"] - out["record"]
    out["hold_plus_settle"] = out["hold"] + out["settle"]
    return out


async def hot_row(url: str, concurrency: list[int], seconds: float) -> list[dict[str, Any]]:
    """N concurrent creates for one account (PostgreSQL): creates per second per mode."""
    rows = []
    for mode in ("credits", "bypassed"):
        tmp = Path(tempfile.mkdtemp(prefix="bench-credits-pg-"))
        app, services, _ = await build_app(tmp, url, bypass=mode == "bypassed")
        async with app.router.lifespan_context(app):
            key = await make_user(services.persistence, f"hot-{mode}")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                         timeout=60) as client:
                for _ in range(20):
                    await timed(client, key)
                for c in concurrency:
                    rows.append({"mode": mode, "concurrency": c,
                                 **await saturate(client, key, c, seconds)})
        await services.aclose()
    return rows


async def saturate(client: httpx.AsyncClient, key: str, c: int, seconds: float
                   ) -> dict[str, Any]:
    deadline = time.perf_counter() + seconds
    samples: list[float] = []

    async def worker() -> None:
        while time.perf_counter() < deadline:
            samples.append(await timed(client, key))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(c)))
    elapsed = time.perf_counter() - start
    return {"creates": len(samples), "per_s": len(samples) / elapsed,
            "p50_ms": pct(samples, 0.5), "p90_ms": pct(samples, 0.9)}


async def fresh_postgres(base: str) -> tuple[str, Any]:
    import asyncpg

    url = make_url(base)
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return url.set(database=name).render_as_string(hide_password=False), drop


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-credits-db-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        db = Database.connect(url)
        await upgrade(db.engine)
        await db.aclose()
        results["sqlite_latency"] = await latency(url, args.rounds, args.per_round)
    if args.postgres:
        url, drop = await fresh_postgres(args.postgres)
        try:
            results["postgres_latency"] = await latency(url, max(2, args.rounds // 2),
                                                        args.per_round)
            levels = [int(c) for c in args.concurrency.split(",")]
            results["postgres_hot_row"] = await hot_row(url, levels, args.seconds)
        finally:
            await drop()
    return results


def report(results: dict[str, Any]) -> None:
    for name in ("sqlite_latency", "postgres_latency"):
        r = results.get(name)
        if not r:
            continue
        c = r["components"]
        print(f"{name}: create p50 {r['credits']['p50']:.2f} ms with credits, "
              f"{r['bypassed']['p50']:.2f} ms bypassed -> added {r['added_p50_ms']:.3f} ms "
              f"(x{r['ratio_p50']:.3f}); p90 {r['credits']['p90']:.2f} / "
              f"{r['bypassed']['p90']:.2f} ms (n={r['credits']['n']} each)")
        print(f"  CPU per create {r['credits']['cpu_ms']:.3f} ms with credits, "
              f"{r['bypassed']['cpu_ms']:.3f} ms bypassed -> added {r['added_cpu_ms']:.3f} ms")
        print(f"  in process: hold {c['hold']:.3f} ms + settle {c['settle']:.3f} ms "
              f"(record {c['record']:.3f} -> {c['record_settle']:.3f} ms) = "
              f"{c['hold_plus_settle']:.3f} ms; pre-flight {c['preflight']:.3f} ms")
    for row in results.get("postgres_hot_row", []):
        print(f"postgres hot row {row['mode']:9} c={row['concurrency']:<3} "
              f"{row['per_s']:7.1f} creates/s  p50 {row['p50_ms']:7.2f} ms  "
              f"p90 {row['p90_ms']:7.2f} ms  ({row['creates']} creates)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=40)
    parser.add_argument("--postgres", help="PostgreSQL URL (a temporary database is made)")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=5.0, help="per hot-row level")
    parser.add_argument("--out", help="write the JSON results here")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    report(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
