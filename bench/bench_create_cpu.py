#!/usr/bin/env python3
"""CPU time per synchronous create, in process: a before/after instrument for a busy machine.

Wall-clock figures (``bench_api.py``) swing by 3x when other jobs share the cores; the CPU
time this process spends per create swings far less. Each measurement builds the real API
app (SQLite, the instant provider at 512×512, one enterprise user) behind
``httpx.ASGITransport`` and sends sequential ``POST /api/image-studio/create`` and
``POST /v1/images/generations`` requests, reporting CPU ms and wall ms per create.

With ``--baseline SRC`` (a ``src`` folder of another build, e.g. from
``git archive main src``) it alternates child processes, this build and the baseline,
for ``--rounds`` rounds, so drift hits both, and prints the medians and their ratio.

    python bench/bench_create_cpu.py [--n 300] [--rounds 6] [--baseline /tmp/main/src]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE = 512
BODIES = {
    "/api/image-studio/create": {"prompt": "bench image", "provider": "instant",
                                 "model": "instant", "width": SIZE, "height": SIZE},
    "/v1/images/generations": {"model": "instant", "prompt": "bench image",
                               "size": f"{SIZE}x{SIZE}", "response_format": "url"},
}


async def measure(n: int) -> dict[str, Any]:
    """In this process: warm up, then ``n`` creates per endpoint; CPU and wall ms each."""
    import httpx

    from imagestudio.api.app import create_app
    from imagestudio.api.config import ServerSettings
    from imagestudio.container import build_services
    from imagestudio.settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    services = build_services(settings, instant_provider=True)
    server = ServerSettings(_env_file=None, url_secret="bench", auto_migrate=True,  # type: ignore[call-arg]
                            worker_threads=None, auth_cache_ttl_s=60)
    app = create_app(settings, services, server)
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        assert services.persistence is not None
        created = await services.persistence.accounts.create_user("bench", plan="enterprise")
        headers = {"Authorization": f"Bearer {created.key}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path, body in BODIES.items():
                for _ in range(30):
                    await _post(client, path, body, headers)
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(n):
                    await _post(client, path, body, headers)
                out[path] = {"cpu_ms": (time.process_time() - cpu) * 1000 / n,
                             "wall_ms": (time.perf_counter() - wall) * 1000 / n}
    await services.aclose()
    return out


async def _post(client: Any, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = await client.post(path, json=body, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")


def child(src: str | None, n: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    if src:
        env["PYTHONPATH"] = src
    done = subprocess.run([sys.executable, __file__, "--child", "--n", str(n)], env=env,
                          capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(baseline: str, rounds: int, n: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "this": []}
    for _ in range(rounds):
        runs["baseline"].append(child(baseline, n))
        runs["this"].append(child(None, n))
    summary: dict[str, Any] = {}
    for path in BODIES:
        row = {}
        for build, results in runs.items():
            for metric in ("cpu_ms", "wall_ms"):
                row[f"{build}_{metric}"] = statistics.median(r[path][metric] for r in results)
        row["cpu_ratio"] = row["this_cpu_ms"] / row["baseline_cpu_ms"]
        row["wall_ratio"] = row["this_wall_ms"] / row["baseline_wall_ms"]
        summary[path] = row
        print(f"{path:28} CPU ms/create {row['baseline_cpu_ms']:6.3f} -> {row['this_cpu_ms']:6.3f}"
              f" (x{row['cpu_ratio']:.3f});  wall {row['baseline_wall_ms']:6.3f} -> "
              f"{row['this_wall_ms']:6.3f} (x{row['wall_ratio']:.3f})  [{rounds} rounds of {n}]",
              flush=True)
    return {"rounds": runs, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="creates per endpoint per run")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--baseline", help="src folder of the build to compare against")
    parser.add_argument("--out", help="write the JSON results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.n))))
        return
    if args.baseline:
        result = compare(args.baseline, args.rounds, args.n)
    else:
        result = {"this": [child(None, args.n) for _ in range(args.rounds)]}
        print(json.dumps(result["this"], indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
