"""Benchmark: the Social Optimizer's renditions and the local upscale (issue 14).

Run: ``python bench/bench_optimize.py [--rounds 5]`` (about a minute, no network).

(a) All catalog renditions (29 templates, each at its platform's exact pixels, file type
    and byte limit) from one 2048² JPEG, decode included: the naive Pillow baseline
    (decode once; per target crop → ``resize(LANCZOS)`` → JPEG q85, as the shared
    ``resize_bench.py`` does) and the optimizer with each engine (libvips and the Pillow
    fallback: saliency analysis, identical resamples done once, two worker threads,
    byte-limit search). Targets: ≤ 400 ms on 2 cores, peak RSS ≤ 250 MiB.
(b) Local ×4 upscale of a 1024² JPEG to 4096² (Lanczos3 + sharpen, JPEG q90 out),
    each engine. Target ≤ 1.5 s.

Every (method) runs in a fresh process per round (1 warm-up set, then 1 timed set);
rounds are interleaved so slow spells of a shared machine hit every method alike; the
figure is the median over the rounds, peak RSS (VmHWM) the maximum.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SIDE = 2048
METHODS = ("pillow_naive", "optimize_pillow", "optimize_vips")
UPSCALE = ("upscale_pillow", "upscale_vips")


def source_jpeg(side: int, seed: int = 42) -> bytes:
    """A deterministic photo-like JPEG (gradients, hard edges, noise), q95 4:4:4."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / (side - 1)
    r = 128 + 90 * np.sin(2 * np.pi * (1.5 * x + 0.5 * y)) * np.cos(2 * np.pi * 1.2 * y)
    g = 30 + 200 * x * (1 - 0.4 * y)
    b = 255 * (1 - np.sqrt((x - 0.5) ** 2 + (y - 0.5) ** 2) / 0.7072)
    img = np.stack([r, g, b], axis=-1)
    img[(np.abs(x - 0.7) < 0.08) & (np.abs(y - 0.65) < 0.08)] = (20, 20, 160)
    img = img + np.random.default_rng(seed).normal(0, 6, img.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB").save(
        buffer, "JPEG", quality=95, subsampling=0)
    return buffer.getvalue()


def hwm_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def worker(method: str, workdir: str) -> dict[str, object]:
    from concurrent.futures import ThreadPoolExecutor

    from imagestudio.catalog.loader import load_catalog
    from imagestudio.imaging.engines import rendition_engine
    from imagestudio.imaging.renditions import Encoding, RenderOptions, render_set
    from imagestudio.optimize.targets import load_rules, select_targets, spec_for

    catalog = load_catalog()
    targets = select_targets(catalog, all_templates=True)
    specs = [spec_for(t, load_rules(), alpha=False) for t in targets]
    upscaling = method.startswith("upscale")
    with open(os.path.join(workdir, f"source_{1024 if upscaling else SIDE}.jpg"), "rb") as f:
        src = f.read()
    pool = ThreadPoolExecutor(2)
    engine = rendition_engine("vips" if method.endswith("vips") else "pillow")

    def one_set() -> list[bytes]:
        if method == "pillow_naive":
            return naive(src, [(s.width, s.height) for s in specs])
        source = engine.load(src, max_pixels=100_000_000)
        if upscaling:
            pixels = engine.upscale(source, 4096, 4096, sharpen=True)
            return [engine.encode(pixels, Encoding("jpeg", 90), None)]
        out = render_set(engine, source, specs, RenderOptions(), pool)
        assert all(r.within_limit for r in out)
        return [r.data for r in out]

    one_set()  # warm-up: imports, first-use allocations
    cpu0, t0 = time.process_time(), time.perf_counter()
    out = one_set()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"method": method, "wall_s": wall, "cpu_s": cpu, "outputs": len(out),
            "bytes": sum(map(len, out)), "peak_rss_mib": hwm_kib() / 1024}


def naive(src: bytes, targets: list[tuple[int, int]]) -> list[bytes]:
    from PIL import Image

    image = Image.open(io.BytesIO(src))
    image.load()
    out = []
    for tw, th in targets:
        scale = max(tw / image.width, th / image.height)
        cw, ch = tw / scale, th / scale
        left, top = (image.width - cw) / 2, (image.height - ch) / 2
        box = tuple(round(v) for v in (left, top, left + cw, top + ch))
        buffer = io.BytesIO()
        image.crop(box).resize((tw, th), Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "bench_optimize"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.workdir)))
        return
    os.makedirs(args.workdir, exist_ok=True)
    for side in (1024, SIDE):  # made here, so the workers' peak RSS is the pipeline's own
        with open(os.path.join(args.workdir, f"source_{side}.jpg"), "wb") as f:
            f.write(source_jpeg(side))
    runs: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.rounds):
        for method in (*METHODS, *UPSCALE):
            line = subprocess.check_output(
                [sys.executable, __file__, "--worker", method, "--workdir", args.workdir])
            runs.setdefault(method, []).append(json.loads(line))
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, rounds: {args.rounds}")
    print("| method | outputs | wall ms (median) | CPU ms | peak RSS MiB | MB out |")
    print("|---|---|---|---|---|---|")
    medians = {}
    for method, rs in runs.items():
        wall = statistics.median(r["wall_s"] for r in rs) * 1000
        medians[method] = wall
        print(f"| {method} | {rs[0]['outputs']} | {wall:.0f} | "
              f"{statistics.median(r['cpu_s'] for r in rs) * 1000:.0f} | "
              f"{max(r['peak_rss_mib'] for r in rs):.0f} | {rs[0]['bytes'] / 1e6:.2f} |")
    for engine in ("pillow", "vips"):
        ratio = medians["pillow_naive"] / medians[f"optimize_{engine}"]
        print(f"optimize_{engine}: {ratio:.2f}x faster than pillow_naive")


if __name__ == "__main__":
    main()
