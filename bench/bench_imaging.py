"""Benchmark: offline draft renderer and post-processing (fit + encode) per output format.

Run: ``python bench/bench_imaging.py [--runs N]``. Pinned to one CPU core where the OS
allows it. Prints medians of N runs (default 15) and compares the engine's PNG settings
with Pillow's default PNG compression (level 6) in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import PIL  # noqa: E402
from PIL import Image, features  # noqa: E402

from imagestudio.imaging.formats import OUTPUT_FORMATS, OutputFormat  # noqa: E402
from imagestudio.imaging.pillow import PillowEngine  # noqa: E402
from imagestudio.render import DraftRenderer  # noqa: E402

TARGET = (1080, 1080)
SOURCES = ((1024, 1024), (1344, 768))
PROMPT = "Modern coffee shop interior, cozy atmosphere"
RENDER_TARGET_MS = 50.0
PNG_TARGET_MS = 100.0
METADATA = {
    "prompt": PROMPT,
    "enhanced_prompt": f"{PROMPT}, warm light, shallow depth of field",
    "seed": 1234,
    "provider": "local",
    "model": "draft-v1",
    "template": "instagram_post",
    "cost": 0,
}


def _pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity on this OS)"


def _median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: font loading, codec tables, first-touch allocations
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def bench_renderer(renderer: DraftRenderer, runs: int) -> tuple[float, float]:
    seeds = iter(range(10**6))
    plain = _median_ms(lambda: renderer.render(PROMPT, next(seeds), *TARGET), runs)
    titled = _median_ms(
        lambda: renderer.render(
            PROMPT, next(seeds), *TARGET, overlay_text="Grand opening Saturday"
        ),
        runs,
    )
    return plain, titled


def bench_post(
    engine: PillowEngine, source: Image.Image, fmt: OutputFormat, runs: int
) -> tuple[float, float, float, int]:
    """Median fit ms, encode ms, fit+encode ms and encoded bytes for one format."""
    fitted = engine.fit(source, *TARGET)
    fit_ms = _median_ms(lambda: engine.fit(source, *TARGET), runs)
    encode_ms = _median_ms(lambda: engine.encode(fitted, fmt, metadata=METADATA), runs)
    total_ms = _median_ms(
        lambda: engine.encode(engine.fit(source, *TARGET), fmt, metadata=METADATA),
        runs,
    )
    size = len(engine.encode(fitted, fmt, metadata=METADATA))
    return fit_ms, encode_ms, total_ms, size


def _environment() -> str:
    if features.check_feature("zlib_ng"):
        zlib = f"zlib-ng {features.version_feature('zlib_ng')}"
    else:
        zlib = f"zlib {features.version('zlib')}"
    if features.check_feature("libjpeg_turbo"):
        jpeg = f"libjpeg-turbo {features.version_feature('libjpeg_turbo')}"
    else:
        jpeg = f"libjpeg {features.version('jpg')}"
    return (
        f"Python {platform.python_version()}, Pillow {PIL.__version__}, {zlib}, {jpeg}, "
        f"libwebp {features.version('webp')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs visible"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (>= 10)")
    runs = max(10, parser.parse_args().runs)
    print(f"bench_imaging: {_environment()}; {_pin_to_one_core()}; median of {runs} runs\n")

    renderer = DraftRenderer()
    plain, titled = bench_renderer(renderer, runs)
    verdict = "OK" if plain <= RENDER_TARGET_MS else "OVER TARGET"
    print(
        f"(a) DraftRenderer 1080x1080: {plain:.1f} ms/image ({verdict}, target <= 50 ms); "
        f"with headline overlay: {titled:.1f} ms"
    )

    engine = PillowEngine()
    default_png = PillowEngine(png_compress_level=6)
    print("\n(b) fit to 1080x1080 + encode with metadata")
    header = (
        f"{'source':>9}  {'format':<22}{'fit ms':>8}{'encode ms':>11}{'total ms':>10}{'bytes':>10}"
    )
    print(header + "  vs default PNG")
    for width, height in SOURCES:
        source = renderer.render(PROMPT, 7, width, height)
        base = bench_post(default_png, source, "png", runs)
        rows = [("png default (level 6)", base)]
        rows += [(_describe(fmt), bench_post(engine, source, fmt, runs)) for fmt in OUTPUT_FORMATS]
        for label, (fit_ms, enc_ms, total_ms, size) in rows:
            ratio = f"{total_ms / base[2]:.2f}x time, {size / base[3]:.2f}x bytes"
            print(
                f"{width}x{height:<4}  {label:<22}{fit_ms:>8.1f}{enc_ms:>11.1f}{total_ms:>10.1f}"
                f"{size:>10}  {ratio}"
            )
        png_total = rows[1][1][2]
        print(
            f"{'':>9}  PNG fit+encode {png_total:.1f} ms: "
            f"{'OK' if png_total <= PNG_TARGET_MS else 'OVER TARGET'} (target <= 100 ms), "
            f"{base[2] / png_total:.1f}x faster than Pillow's default"
        )


def _describe(fmt: str) -> str:
    return {
        "png": "png level 1 (ours)",
        "jpeg": "jpeg q90 4:4:4 opt",
        "webp": "webp q85 method 1",
    }[fmt]


if __name__ == "__main__":
    main()
