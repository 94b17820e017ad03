#!/usr/bin/env python3
"""The studio alone on the vendor path, with ``bench_gateway.py``'s setup (the same fake
OpenAI upstream, ``imagestudio serve``, the shared load generator): two instruments for
before/after work that need no LiteLLM.

- ``--baseline SRC``: a second studio runs another build's ``src`` (e.g. from
  ``git archive main src``) beside this one; loads alternate between them and the
  medians of their CPU per request are compared.
- otherwise: batches of ``--step`` requests at c = 8 up to ``--total``, with the studio's
  resident memory after each batch (the drift the gateway benchmark reports); with
  ``--baseline SRC --rss``, for both builds, their batches alternating.

    python bench/bench_studio_vendor.py --payload incompressible [--total 2000]
    python bench/bench_studio_vendor.py --baseline /tmp/main/src --c 8 --n 200 --rounds 3
    python bench/bench_studio_vendor.py --baseline /tmp/main/src --rss --payload incompressible
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_gateway as bg  # noqa: E402


def _studio(upstream: str, src: str | None) -> bg.Gateway:
    saved = os.environ.get("PYTHONPATH")
    if src:
        os.environ["PYTHONPATH"] = src
    try:
        return bg.start_studio(upstream, Path(tempfile.mkdtemp(prefix="bench-studio-")))
    finally:
        os.environ.pop("PYTHONPATH", None)
        if saved is not None:
            os.environ["PYTHONPATH"] = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench-dir", type=Path, default=bg.ROOT.parent / "shared" / "bench")
    parser.add_argument("--payload", choices=sorted(bg.PAYLOADS), default="compressible")
    parser.add_argument("--baseline", help="src folder of the build to compare against")
    parser.add_argument("--c", type=int, default=8)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step", type=int, default=200)
    parser.add_argument("--total", type=int, default=2000)
    parser.add_argument("--rss", action="store_true", help="with --baseline: the RSS batches")
    args = parser.parse_args()
    upstream, base = bg.start_upstream(args.bench_dir, args.payload)
    studios: dict[str, bg.Gateway] = {}
    try:
        if args.baseline and not args.rss:
            studios = {"baseline": _studio(base, args.baseline), "this": _studio(base, None)}
            cpu: dict[str, list[float]] = {name: [] for name in studios}
            for gw in studios.values():
                bg.load(args.bench_dir, gw, 100, 8, "warm-up", 300)
            for rnd in range(args.rounds):
                for name, gw in studios.items():
                    r = bg.load(args.bench_dir, gw, args.n, args.c, f"{name}/{rnd}", 300)
                    cpu[name].append(r["cpu_ms_per_request"])
                    print(bg.line(r), flush=True)
            mid = {name: statistics.median(v) for name, v in cpu.items()}
            print(f"CPU ms/request, medians: baseline {mid['baseline']:.2f}, "
                  f"this {mid['this']:.2f} (x{mid['this'] / mid['baseline']:.2f})")
            return
        if args.baseline:
            studios["baseline"] = _studio(base, args.baseline)
        studios["this"] = _studio(base, None)
        rss: dict[str, list[float]] = {name: [] for name in studios}
        while min(gw.served for gw in studios.values()) < args.total:
            for name, gw in studios.items():
                label = f"{name}/to-{gw.served + args.step}"
                r = bg.load(args.bench_dir, gw, args.step - 8, 8, label, 600)
                rss[name].append(r["rss_mib"])
                print(bg.line(r), flush=True)
        for name, values in rss.items():
            print(f"{name}: RSS after {args.step}: {values[0]} MiB, after "
                  f"{studios[name].served}: {values[-1]} MiB "
                  f"({100 * (values[-1] / values[0] - 1):+.1f} %)")
    finally:
        for gw in studios.values():
            gw.stop()
        os.killpg(upstream.pid, 15)
        upstream.wait(timeout=15)


if __name__ == "__main__":
    main()
