"""Benchmark: Edit Studio's local operations on a 2048² image (issue 15: each < 150 ms).

Run: ``python bench/bench_edit.py [--rounds 7] [--engine auto|vips|pillow]`` (seconds,
no network).

Each operation runs on an already decoded 2048² RGB photo-like image (an RGBA cut-out for
``background``) through the local edit engine the service uses (``auto``: libvips where
installed), the pixels only: decoding and encoding are the same for every operation and
are reported once, separately, by the encoder edit results go through (JPEG q92, and
PNG from the studio's fast writer, with Pillow's level 6 beside it for comparison).
One warm-up, then the median of ``--rounds`` timed runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from PIL import Image

from imagestudio.edit.engine import local_edit_engine
from imagestudio.edit.schemas import EditRequest
from imagestudio.edit.service import encode_result

SIDE = 2048
CASES: list[dict[str, object]] = [
    {"op": "crop", "x": 100, "y": 100, "width": 1600, "height": 900},
    {"op": "crop", "template_id": "youtube_thumbnail"},
    {"op": "rotate", "degrees": 90},
    {"op": "rotate", "degrees": 12.5},
    {"op": "flip", "direction": "horizontal"},
    {"op": "resize", "width": 1080},
    {"op": "adjust", "brightness": 1.1, "contrast": 1.1, "saturation": 1.2, "warmth": 0.3},
    {"op": "sharpen", "amount": 1.0},
    {"op": "blur", "radius": 2},
    {"op": "background", "colour": "#ffffff"},
    {"op": "background", "radius": 12},
]


def _photo() -> Image.Image:
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    base = np.stack([100 + 80 * np.sin(x / 70), 60 + 0.05 * x, 220 - 0.08 * y], axis=-1)
    noisy = base + np.random.default_rng(3).normal(0, 8, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _cut_out(photo: Image.Image) -> Image.Image:
    cut = photo.convert("RGBA")
    alpha = Image.new("L", photo.size, 0)
    alpha.paste(255, (512, 512, 1536, 1536))
    cut.putalpha(alpha)
    return cut


def _median_ms(run: Callable[[], object], rounds: int) -> float:
    run()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engine", choices=("auto", "vips", "pillow"), default="auto")
    args = parser.parse_args()
    engine = local_edit_engine(args.engine)
    photo = _photo()
    cut = _cut_out(photo)
    print(f"engine: {engine.name}")
    print(f"{'operation':58} median ms")
    for fields in CASES:
        request = EditRequest.model_validate(fields)
        source = cut if request.op == "background" else photo
        target = (1280, 720) if request.template_id else None
        ms = _median_ms(partial(engine.apply, request.op, source, request, target),
                        args.rounds)
        label = ", ".join(f"{k}={v}" for k, v in fields.items())
        print(f"{label:58} {ms:8.1f}")

    def pillow_png() -> bytes:
        buffer = io.BytesIO()
        photo.save(buffer, "PNG", compress_level=6)
        return buffer.getvalue()

    encoders: list[tuple[str, Callable[[], bytes]]] = [
        ("encode 2048² JPEG q92", partial(encode_result, photo, "jpeg")),
        ("encode 2048² PNG (edit results: the studio's writer)", partial(encode_result, photo,
                                                                         "png")),
        ("encode 2048² PNG (Pillow level 6, before)", pillow_png),
    ]
    for label, run in encoders:
        ms = _median_ms(run, args.rounds)
        print(f"{label:58} {ms:8.1f}  ({len(run()) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
