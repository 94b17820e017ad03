#!/usr/bin/env python3
"""The studio against LiteLLM's proxy as an OpenAI images gateway, in one run.

Both gateways stand in front of the same fake OpenAI Images upstream (``POST
/v1/images/generations`` answering ``b64_json`` of a 1024² PNG: a compressible gradient,
then incompressible noise, about 4.2 MB of JSON), with one worker each, driven by the
shared load generator ``load.py`` (its aiohttp client) in alternation: A/B/A/B.

- LiteLLM: ``litellm[proxy]==1.103.7`` in its own virtual environment under the cache
  directory (created on first use), started with an emptied environment (PATH, a
  temporary HOME and the local model cost map only), bound to 127.0.0.1, ``model_list``
  routing ``gpt-image-1`` to the upstream.
- The studio: ``imagestudio serve`` with a temporary data directory and SQLite, its
  OpenAI provider's base URL set to the upstream; each request is authenticated, billed,
  validated (the PNG's lossless check), stored in the library and answered as base64.

Reported per gateway and payload: p50/p99 latency at c = 1 and c = 8, requests/s, the
gateway's CPU per request (``/proc/PID/stat`` utime + stime of the process and its
children, over every request it served in that run, warm-up included), peak RSS
(``VmHWM``) and RSS after 200 and after 2,000 requests. Loopback only; bounded by counts.

    python bench/bench_gateway.py [--bench-dir ../shared/bench] [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LITELLM = "litellm[proxy]==1.103.7"
MODEL = "gpt-image-1"
BODY = json.dumps({"model": MODEL, "prompt": "a red bicycle", "size": "1024x1024", "n": 1})
TICKS = os.sysconf("SC_CLK_TCK")
PAYLOADS = {"compressible": [], "incompressible": ["--noise"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process {proc.args!r} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port} after {timeout_s:g} s")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its living descendants."""
    total = 0
    for each in _descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def rss_mib(pid: int, key: str = "VmRSS") -> float:
    """``VmRSS`` (or ``VmHWM``, the peak) summed over ``pid`` and its descendants."""
    total = 0
    for each in _descendants(pid):
        try:
            lines = Path(f"/proc/{each}/status").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith(key + ":"))
    return total / 1024


@dataclass
class Gateway:
    name: str
    url: str
    headers: list[str]
    proc: subprocess.Popen[bytes]
    served: int = 0
    rss_at: dict[int, float] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def litellm_python(cache: Path) -> Path:
    """The interpreter of a virtual environment holding exactly :data:`LITELLM`."""
    venv = cache / ("litellm-" + LITELLM.split("==")[1])
    python = venv / "bin" / "python"
    if not (venv / "bin" / "litellm").exists():
        print(f"installing {LITELLM} into {venv} (once)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", LITELLM], check=True)
    return python


def start_litellm(python: Path, upstream: str, work: Path) -> Gateway:
    port = free_port()
    config = work / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"
        f"      api_base: {upstream}\n"
        "      api_key: sk-bench-upstream\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    home = work / "litellm-home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": str(home),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no download of the cost map at start
    }
    command = [str(python.parent / "litellm"), "--config", str(config), "--host", "127.0.0.1",
               "--port", str(port), "--num_workers", "1"]
    log = (work / "litellm.log").open("wb")
    proc = subprocess.Popen(command, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    wait_ready(port, proc, timeout_s=180)
    return Gateway("litellm", f"http://127.0.0.1:{port}/v1/images/generations", [], proc)


def start_studio(upstream: str, work: Path) -> Gateway:
    data = work / "studio"
    data.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("IMAGESTUDIO_") and k != "OPENAI_API_KEY"}
    env |= {"IMAGESTUDIO_DATA_DIR": str(data), "IMAGESTUDIO_OPENAI_API_KEY": "sk-bench-upstream",
            "IMAGESTUDIO_OPENAI_BASE_URL": upstream}
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
        "    await p.credits.admin.grant('bench', 10**11, note='bench')\n"
        "    await p.aclose()\n"
        "    sys.stdout.write(new.key)\n"
        "asyncio.run(main())\n"
    )
    key = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    port = free_port()
    command = [sys.executable, "-m", "imagestudio", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(command, env=env, cwd=data, start_new_session=True)
    wait_ready(port, proc)
    return Gateway("studio", f"http://127.0.0.1:{port}/v1/images/generations",
                   ["-H", f"Authorization: Bearer {key}"], proc)


def start_upstream(bench: Path, payload: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, str(bench / "fake_openai_images.py"), "--port", str(port),
               "--side", "1024", *PAYLOADS[payload]]
    proc = subprocess.Popen(command, start_new_session=True)
    wait_ready(port, proc)
    return proc, f"http://127.0.0.1:{port}/v1"


def load(bench: Path, gateway: Gateway, n: int, c: int, label: str, limit_s: float) -> dict:
    """One load.py run; adds the gateway's CPU per request served and its RSS."""
    warmup = max(8, c)
    command = [sys.executable, str(bench / "load.py"), gateway.url, "--body", BODY,
               *gateway.headers, "-n", str(n), "-c", str(c), "--warmup", str(warmup),
               "--time-limit", str(limit_s), "--client", "aiohttp", "--label", label]
    before = cpu_s(gateway.proc.pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=limit_s + 120)
    spent = cpu_s(gateway.proc.pid) - before
    if not done.stdout.strip():
        raise SystemExit(f"load.py failed against {gateway.name}: {done.stderr[-800:]}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    served = result["warmup"] + result["n_ok"] + result["n_err"]
    gateway.served += served
    result |= {
        "gateway": gateway.name,
        "cpu_ms_per_request": round(1000 * spent / max(1, served), 2),
        "rss_mib": round(rss_mib(gateway.proc.pid), 1),
        "peak_rss_mib": round(rss_mib(gateway.proc.pid, "VmHWM"), 1),
        "served_total": gateway.served,
    }
    if result["n_err"] or result["warmup_errors"]:
        print(f"  errors: {result['errors'] or result['warmup_errors']}", file=sys.stderr)
    return result


def line(r: dict) -> str:
    lat = r["lat_ms"]
    return (f"{r['label']:<34} p50 {lat['p50']:8.2f} ms  p99 {lat['p99']:8.2f} ms  "
            f"{r['rps']:7.1f} req/s  CPU {r['cpu_ms_per_request']:6.2f} ms/req  "
            f"RSS {r['rss_mib']:6.1f} MiB (peak {r['peak_rss_mib']:6.1f})  "
            f"ok {r['n_ok']} err {r['n_err']}")


def run_payload(args: argparse.Namespace, payload: str, python: Path, work: Path) -> list[dict]:
    upstream, base = start_upstream(args.bench_dir, payload)
    gateways: list[Gateway] = []
    rows: list[dict] = []
    try:
        gateways = [start_litellm(python, base, work / payload), start_studio(base, work / payload)]
        for gw in gateways:  # the first 200 requests (8 of them warm-up), then RSS
            label = f"{payload}/{gw.name}/first-{args.first}"
            r = load(args.bench_dir, gw, args.first - 8, 8, label, 300)
            gw.rss_at[gw.served] = r["rss_mib"]
            rows.append(r)
            print(line(r), flush=True)
        for rnd in range(1, args.rounds + 1):  # A/B/A/B
            for c, n in ((1, args.n1), (8, args.n8)):
                for gw in gateways:
                    label = f"{payload}/{gw.name}/c{c}/round{rnd}"
                    r = load(args.bench_dir, gw, n, c, label, args.time_limit)
                    rows.append(r)
                    print(line(r), flush=True)
        for gw in gateways:  # up to 2,000 requests, then RSS
            rest = max(8, args.total - gw.served - 8)
            r = load(args.bench_dir, gw, rest, 8, f"{payload}/{gw.name}/to-{args.total}", 600)
            gw.rss_at[gw.served] = r["rss_mib"]
            rows.append(r)
            print(line(r), flush=True)
        for gw in gateways:
            rows.append({"gateway": gw.name, "payload": payload, "rss_after": gw.rss_at,
                         "peak_rss_mib": round(rss_mib(gw.proc.pid, "VmHWM"), 1)})
    finally:
        for gw in gateways:
            gw.stop()
        os.killpg(upstream.pid, signal.SIGTERM)
        upstream.wait(timeout=15)
    return rows


def summary(rows: list[dict]) -> None:
    print("\nsummary (medians over rounds; ratio = studio / LiteLLM)")
    for payload in PAYLOADS:
        for c in (1, 8):
            got = {}
            for gw in ("litellm", "studio"):
                runs = [r for r in rows if r.get("label", "").startswith(f"{payload}/{gw}/c{c}/")]
                if runs:
                    got[gw] = {
                        "p50": statistics.median(r["lat_ms"]["p50"] for r in runs),
                        "p99": statistics.median(r["lat_ms"]["p99"] for r in runs),
                        "rps": statistics.median(r["rps"] for r in runs),
                        "cpu": statistics.median(r["cpu_ms_per_request"] for r in runs),
                    }
            if len(got) == 2:
                lite, ours = got["litellm"], got["studio"]
                print(f"{payload:<15} c={c}: " + "  ".join(
                    f"{k} {lite[k]:.2f} / {ours[k]:.2f} (x{ours[k] / lite[k]:.2f})" for k in lite
                ))
        for r in rows:
            if r.get("payload") == payload and "rss_after" in r:
                print(f"{payload:<15} {r['gateway']:<8} RSS after {r['rss_after']} MiB, "
                      f"peak {r['peak_rss_mib']} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "bench",
                        help="folder holding load.py and fake_openai_images.py")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "imagestudio-bench")
    parser.add_argument("--payloads", default="compressible,incompressible")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds per concurrency")
    parser.add_argument("--n1", type=int, default=100, help="measured requests at c = 1")
    parser.add_argument("--n8", type=int, default=200, help="measured requests at c = 8")
    parser.add_argument("--first", type=int, default=200, help="requests before the first RSS")
    parser.add_argument("--total", type=int, default=2000, help="requests before the last RSS")
    parser.add_argument("--time-limit", type=float, default=90.0, help="seconds per run")
    parser.add_argument("--out", help="write every run as JSON here")
    args = parser.parse_args()
    for name in ("load.py", "fake_openai_images.py"):
        if not (args.bench_dir / name).exists():
            raise SystemExit(f"{name} not found in {args.bench_dir} (use --bench-dir)")
    python = litellm_python(args.cache_dir)
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    rows: list[dict] = []
    try:
        for payload in args.payloads.split(","):
            (work / payload).mkdir()
            rows += run_payload(args, payload, python, work)
    finally:
        if args.out:
            Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")
        shutil.rmtree(work, ignore_errors=True)
    summary(rows)


if __name__ == "__main__":
    main()
