#!/usr/bin/env python3
"""HTTP benchmark of the studio API, driven by the shared load generator.

Starts one server process (``imagestudio serve``) on 127.0.0.1 with a temporary data
directory and SQLite, creates a user, then runs ``shared/bench/load.py`` at concurrency 1
and 32 against

  POST /v1/images/generations and POST /api/image-studio/create
  × (a) the instant provider (image already at the requested size)
    (b) the local renderer,

after the floors: the same load against ``bench/baseline_app.py``, a plain ASGI callable
and a bare FastAPI endpoint on the same server stack (no auth, database, image or file),
started the same way.

each at ``--size`` (default 512x512). Every request authenticates, writes a generation
row, an asset row and an asset file. Prints a table (latency, throughput, the studio's
overhead = latency minus the provider's own time, server peak RSS) and writes JSON to
``--out``. Loopback only; every run is bounded by count and time (about 2 minutes).

    python bench/bench_api.py [--size 512] [--n1 300] [--n32 2000] [--out result.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOAD = ROOT.parent / "shared" / "bench" / "load.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def create_user(env: dict[str, str]) -> str:
    """Migrate the fresh database and create the bench user; returns its API key.

    Enterprise: no quota or rate limit stops the run, and both sources cost nothing."""
    code = (
        "import asyncio, sys\n"
        "from imagestudio.db.migrate import prepare_database\n"
        "from imagestudio.container import build_persistence\n"
        "from imagestudio.settings import Settings\n"
        "async def main():\n"
        "    p = build_persistence(Settings())\n"
        "    Settings().data_dir.mkdir(parents=True, exist_ok=True)\n"
        "    await prepare_database(p.db, auto_migrate=True)\n"
        "    new = await p.accounts.create_user('bench', plan='enterprise')\n"
        "    await p.aclose()\n"
        "    sys.stdout.write(new.key)\n"
        "asyncio.run(main())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "imagestudio", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--log-level", "warning"]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def provider_time_ms(provider: str, size: int, samples: int = 30) -> float:
    """Median time of the provider's own ``generate`` for one image, in process."""
    if provider == "instant":
        from imagestudio.providers.instant import InstantProvider as cls
    else:
        from imagestudio.providers.local import LocalProvider as cls  # type: ignore[assignment]
    from imagestudio.providers.base import ProviderRequest, SizeRequest

    source = cls()

    async def measure() -> list[float]:
        times = []
        for seed in range(samples):
            request = ProviderRequest(model=provider, prompt="bench", size=SizeRequest(size, size),
                                      seed=seed)
            start = time.perf_counter()
            await source.generate(request)
            times.append((time.perf_counter() - start) * 1000)
        return times

    return statistics.median(asyncio.run(measure())[3:])


def body_for(endpoint: str, provider: str, size: int) -> str:
    model = "instant" if provider == "instant" else "local"
    if endpoint == "openai":
        return json.dumps({"model": model, "prompt": "bench image", "size": f"{size}x{size}",
                           "response_format": "url"})
    return json.dumps({"prompt": "bench image", "provider": provider, "model": model,
                       "width": size, "height": size})


def run_load(url: str, body: str, key: str, n: int, c: int, label: str, time_limit: float,
             client: str) -> dict:
    command = [sys.executable, str(LOAD), url, "--body", body, "-H", f"Authorization: Bearer {key}",
               "-n", str(n), "-c", str(c), "--warmup", str(max(20, c)), "--time-limit",
               str(time_limit), "--expect", '"url"', "--label", label, "--client", client]
    done = subprocess.run(command, capture_output=True, text=True, timeout=time_limit + 60)
    if not done.stdout.strip():
        raise SystemExit(f"load.py failed: {done.stderr.strip()[-500:]}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512, help="square image side, pixels")
    parser.add_argument("--n1", type=int, default=300, help="requests at concurrency 1")
    parser.add_argument("--n32", type=int, default=2000, help="requests at concurrency 32")
    parser.add_argument("--time-limit", type=float, default=12.0, help="seconds per run")
    parser.add_argument("--providers", default="instant,local")
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp",
                        help="load.py's HTTP client (aiohttp costs the measurement least)")
    parser.add_argument("--no-floor", action="store_true", help="skip the two floors")
    parser.add_argument("--out", help="write the JSON results here")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="imagestudio-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGESTUDIO_")}
    env |= {"IMAGESTUDIO_DATA_DIR": str(data_dir), "IMAGESTUDIO_ENABLE_INSTANT_PROVIDER": "1"}
    key = create_user(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rows = [] if args.no_floor else floor(env, args)
    proc = subprocess.Popen(server_command(port), env=env, cwd=data_dir)
    try:
        wait_ready(port, proc)
        for provider in args.providers.split(","):
            own_ms = provider_time_ms(provider, args.size)
            for endpoint, path in (("openai", "/v1/images/generations"),
                                   ("create", "/api/image-studio/create")):
                rows += measure(base + path, body_for(endpoint, provider, args.size), key,
                                f"{endpoint}/{provider}/{args.size}", proc.pid, own_ms, args)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


def floor(env: dict[str, str], args: argparse.Namespace) -> list[dict]:
    """c = 1 and c = 32 against the two floors of ``baseline_app.py``."""
    rows = []
    for app, label in (("raw", "floor/raw-asgi"), ("app", "floor/bare-fastapi")):
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"),
                   f"baseline_app:{app}", "--host", "127.0.0.1", "--port", str(port),
                   "--no-access-log", "--log-level", "warning"]
        proc = subprocess.Popen(command, env=env)
        try:
            wait_ready(port, proc)
            rows += measure(f"http://127.0.0.1:{port}/v1/images/generations",
                            body_for("openai", "instant", args.size), "floor", label,
                            proc.pid, 0.0, args)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return rows


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """Until ``port`` accepts connections: uvicorn listens only once the app's start-up
    (migrations, wiring) is done."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not become ready")


def measure(url: str, body: str, key: str, label: str, pid: int, provider_ms: float,
            args: argparse.Namespace) -> list[dict]:
    """Concurrency 1, then 32, against ``url``; each row printed as it comes."""
    rows = []
    for c, n in ((1, args.n1), (32, args.n32)):
        result = run_load(url, body, key, n, c, f"{label}/c{c}", args.time_limit, args.client)
        result["provider_ms"] = round(provider_ms, 3)
        result["peak_rss_mib"] = round(peak_rss_mib(pid), 1)
        rows.append(result)
        print_row(result)
    return rows


def print_row(r: dict) -> None:
    lat, own = r["lat_ms"], r["provider_ms"]
    if not getattr(print_row, "header", False):
        print(f"{'scenario':34} {'ok':>5} {'err':>4} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
              f" {'prov ms':>7} {'ovh p50':>7} {'ovh p99':>7} {'RSS MiB':>7}")
        print_row.header = True  # type: ignore[attr-defined]
    print(f"{r['label']:34} {r['n_ok']:5d} {r['n_err']:4d} {r['rps']:7.1f} {lat['p50']:7.2f}"
          f" {lat['p99']:7.2f} {own:7.2f} {lat['p50'] - own:7.2f} {lat['p99'] - own:7.2f}"
          f" {r['peak_rss_mib']:7.1f}", flush=True)
    if r["errors"]:
        print(f"   errors: {r['errors']}", flush=True)


if __name__ == "__main__":
    main()
