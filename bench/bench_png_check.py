#!/usr/bin/env python3
"""CPU of the lossless PNG check on the gateway benchmark's upstream images, and of the
inflaters it could use, in process.

Builds the fake OpenAI upstream's 1024² PNGs (a compressible gradient and incompressible
noise, with ``fake_openai_images.make_png`` from ``--bench-dir``), then reports CPU ms per
call of ``validate_image`` and of inflating the same ``IDAT`` data with zlib, ISA-L and
zlib-ng in :data:`imagestudio.imaging.png.INFLATE_STEP` steps.

    python bench/bench_png_check.py [--bench-dir ../shared/bench] [--n 50]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from isal import isal_zlib
from zlib_ng import zlib_ng

from imagestudio.imaging import png
from imagestudio.imaging.validate import ImageLimits, validate_image

ROOT = Path(__file__).resolve().parents[1]


def _fake(bench: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fake", bench / "fake_openai_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_ms(fn: Callable[[], object], n: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(n):
        fn()
    return 1000 * (time.process_time() - start) / n


def stepped(lib: Any, idat: bytes) -> Callable[[], None]:
    def run() -> None:
        inflate, data = lib.decompressobj(), idat
        while True:
            rows = inflate.decompress(data, png.INFLATE_STEP)
            data = inflate.unconsumed_tail
            if not data and (len(rows) < png.INFLATE_STEP or inflate.eof):
                return
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "bench")
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    fake = _fake(args.bench_dir)
    limits = ImageLimits(max_pixels=64_000_000)
    for name, noise in (("gradient", False), ("noise", True)):
        data: bytes = fake.make_png(1024, noise)
        idat = b"".join(bytes(w[8:-4]) for k, w in png.iter_chunks(data) if k == b"IDAT")
        figures = {
            "validate_image": cpu_ms(lambda: validate_image(data, limits), args.n),  # noqa: B023
            **{f"inflate {label}": cpu_ms(stepped(lib, idat), args.n)
               for label, lib in (("zlib", zlib), ("isal", isal_zlib), ("zlib-ng", zlib_ng))},
        }
        print(f"{name:<9} {len(data):>9} bytes  " + "  ".join(
            f"{k} {v:.3f} ms" for k, v in figures.items()))


if __name__ == "__main__":
    main()
