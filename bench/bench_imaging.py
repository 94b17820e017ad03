"""Benchmark: offline renderer, post-processing per output format, and create's batching.

Run: ``python bench/bench_imaging.py [--runs N]`` (about a minute, no network).

(a) DraftRenderer ms per 1080² image (target ≤ 50 ms on one core).
(b) Post-processing of one provider image to 1080² (fit + encode with metadata) per
    output format, with Pillow's own resampler and PNG encoders (default level 6 and
    level 1) measured in the same run as the baselines (target ≤ 100 ms for PNG); plus
    the pass-through of an image that already has the exact size.
(c) ``GenerationService.create`` wall time for 1 and 10 variations from a provider that
    sleeps 200 ms per call (target: 10 ≤ 1.2 × 1), for an exact-size image and for a
    1024² image that must be resized.

(a) and (b) run pinned to one CPU core (where the OS allows) and print both wall time and
the thread's CPU time, medians of N runs: on a shared machine the CPU time is the steadier
figure, the wall time the one the targets mean. (c) uses every core, as the service does.
"""

from __future__ import annotations

import argparse
import asyncio
import io
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
SOURCES = ((1024, 1024), (1344, 768), (2048, 2048))
PROMPT = "Modern coffee shop interior, cozy atmosphere"
MOTIF_PROMPTS = {  # one prompt per motif the palettes can pick
    "bokeh": "wedding flowers",
    "bands": "modern architecture",
    "hills": "sunset over mountains, orange and purple",
    "waves": "ocean waves at dawn, blue",
    "orbs": "minimal product shot, pastel pink",
    "rings": "tech conference",
}
RENDER_TARGET_MS = 50.0
PNG_TARGET_MS = 100.0
BATCH_TARGET = 1.2
METADATA = {
    "prompt": PROMPT,
    "enhanced_prompt": f"{PROMPT}, warm light, shallow depth of field",
    "seed": 1234,
    "provider": "local",
    "model": "draft-v1",
    "template": "instagram_post",
    "cost": 0,
}
Timing = tuple[float, float]  # (wall ms, cpu ms)


def _pin_to_one_core() -> tuple[str, set[int] | None]:
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cores)})
        return f"pinned to CPU {min(cores)}", cores
    return "not pinned (no sched_setaffinity on this OS)", None


def measure(action: Callable[[], object], runs: int) -> Timing:
    """Median wall and CPU milliseconds of ``runs`` calls, after one warm-up call."""
    action()  # warm-up: font loading, codec tables, first-touch allocations
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.thread_time()
        action()
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def _ms(timing: Timing) -> str:
    return f"{timing[0]:8.1f}{timing[1]:8.1f}"


def _pillow_fit(source: Image.Image) -> Image.Image:
    """The resampling the engine used before: Pillow's own Lanczos, same crop box."""
    side = min(source.size)
    left, top = (source.width - side) / 2, (source.height - side) / 2
    return source.resize(TARGET, Image.Resampling.LANCZOS, box=(left, top, left + side,
                                                                 top + side))


def _pillow_png(image: Image.Image, **params: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


def bench_renderer(renderer: DraftRenderer, runs: int) -> None:
    seeds = iter(range(10**6))
    plain = measure(lambda: renderer.render(PROMPT, next(seeds), *TARGET), runs)
    titled = measure(
        lambda: renderer.render(PROMPT, next(seeds), *TARGET, overlay_text="Grand opening"),
        runs,
    )
    print(f"(a) DraftRenderer 1080x1080 (target <= {RENDER_TARGET_MS:.0f} ms)")
    print(f"    {'':<36} wall ms  cpu ms")
    verdict = "OK" if plain[0] <= RENDER_TARGET_MS else "OVER TARGET"
    label = f"plain ({renderer.palette(PROMPT, 0).motif} motif)"
    print(f"    {label:<36}{_ms(plain)}  {verdict}")
    print(f"    {'with headline overlay':<36}{_ms(titled)}")
    for motif, prompt in MOTIF_PROMPTS.items():
        assert renderer.palette(prompt, 0).motif == motif, (motif, prompt)
        timing = measure(lambda: renderer.render(prompt, next(seeds), *TARGET), runs)  # noqa: B023
        verdict = "OK" if timing[0] <= RENDER_TARGET_MS else "OVER TARGET"
        print(f"    {motif + ' motif':<36}{_ms(timing)}  {verdict}")


def bench_post(engine: PillowEngine, renderer: DraftRenderer, runs: int) -> None:
    print("\n(b) provider image -> 1080x1080 + encode with metadata, one core")
    print(f"    {'source':<10}{'step':<32} wall ms  cpu ms     bytes  vs Pillow default PNG")
    for width, height in SOURCES:
        _post_source(engine, renderer.render(PROMPT, 7, width, height), runs)
    print(f"    {'1080x1080':<10}exact size and format already (pass-through)")
    image = renderer.render(PROMPT, 8, *TARGET)
    for fmt in ("png", "jpeg"):
        _passthrough(engine, engine.encode(image, fmt), fmt, runs)


def _post_source(engine: PillowEngine, source: Image.Image, runs: int) -> None:
    encoded = engine.encode(source, "png")
    label = f"{source.width}x{source.height}"
    decode = measure(lambda: engine.decode(encoded, max_pixels=10**8), runs)
    print(f"    {label:<10}{'decode (PNG from provider)':<32}{_ms(decode)}")
    print(f"    {'':<10}{'fit, Pillow Lanczos (before)':<32}"
          f"{_ms(measure(lambda: _pillow_fit(source), runs))}")
    print(f"    {'':<10}{'fit, SIMD Lanczos3 (ours)':<32}"
          f"{_ms(measure(lambda: engine.fit(source, *TARGET), runs))}")
    fitted = engine.fit(source, *TARGET)
    base = measure(lambda: _pillow_png(_pillow_fit(source)), runs)
    base_size = len(_pillow_png(fitted))
    level1 = measure(lambda: _pillow_png(engine.fit(source, *TARGET), compress_level=1), runs)
    rows: list[tuple[str, Timing, int]] = [
        ("png Pillow default (level 6)", base, base_size),
        ("png Pillow level 1", level1, len(_pillow_png(fitted, compress_level=1))),
    ]
    for fmt in OUTPUT_FORMATS:
        timing = measure(
            lambda: engine.encode(engine.fit(source, *TARGET), fmt, metadata=METADATA), runs  # noqa: B023
        )
        rows.append((_describe(fmt), timing, len(engine.encode(fitted, fmt, metadata=METADATA))))
    for name, timing, size in rows:
        print(f"    {'':<10}{'fit+' + name:<32}{_ms(timing)}{size:>10}  "
              f"{timing[0] / base[0]:.2f}x time, {size / base_size:.2f}x bytes")
    ours = rows[2][1]
    verdict = "OK" if ours[0] <= PNG_TARGET_MS else "OVER TARGET"
    print(f"    {'':<10}PNG fit+encode {ours[0]:.1f} ms: {verdict} (target <= "
          f"{PNG_TARGET_MS:.0f} ms), {base[0] / ours[0]:.1f}x faster than Pillow's default; "
          f"with decode {ours[0] + decode[0]:.1f} ms")


def _describe(fmt: str) -> str:
    return {"png": "png ours (Up + ISA-L 1)", "jpeg": "jpeg q90 4:4:4 opt",
            "webp": "webp q85 method 1"}[fmt]


def _passthrough(engine: PillowEngine, data: bytes, fmt: OutputFormat, runs: int) -> None:
    full = measure(
        lambda: engine.encode(engine.decode(data, max_pixels=10**8), fmt, metadata=METADATA), runs
    )
    kept = measure(
        lambda: engine.repackage(data, fmt, *TARGET, metadata=METADATA, max_pixels=10**8), runs
    )
    print(f"    {'':<10}{fmt + ' decode+encode':<32}{_ms(full)}")
    print(f"    {'':<10}{fmt + ' repackage (validated)':<32}{_ms(kept)}  "
          f"{full[0] / kept[0]:.1f}x faster")


def _environment() -> str:
    if features.check_feature("zlib_ng"):
        zlib = f"zlib-ng {features.version_feature('zlib_ng')}"
    else:
        zlib = f"zlib {features.version('zlib')}"
    if features.check_feature("libjpeg_turbo"):
        jpeg = f"libjpeg-turbo {features.version_feature('libjpeg_turbo')}"
    else:
        jpeg = f"libjpeg {features.version('jpg')}"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"Python {platform.python_version()}, Pillow {PIL.__version__}, {zlib}, {jpeg}, "
        f"libwebp {features.version('webp')}; {cpu}, {os.cpu_count()} CPUs visible"
    )


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "load average unavailable"
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    from bench_create import bench_create  # bench/ is on sys.path when run as a script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (>= 5)")
    runs = max(5, parser.parse_args().runs)
    pinned, cores = _pin_to_one_core()
    print(f"bench_imaging: {_environment()}; {_load()}\n{pinned}; median of {runs} runs\n")
    renderer = DraftRenderer()
    engine = PillowEngine()
    bench_renderer(renderer, runs)
    bench_post(engine, renderer, runs)
    if cores is not None:
        os.sched_setaffinity(0, cores)
    asyncio.run(bench_create(engine, renderer, TARGET, BATCH_TARGET))
    print(f"\n{_load()}")


if __name__ == "__main__":
    main()
