"""The offline draft renderer: a deterministic, presentable picture for (prompt, seed, size).

It is a procedural layout engine, not an AI model: the prompt only picks colours and a
motif. Its images are labelled "offline draft" so nobody mistakes them for model output.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops

from imagestudio.imaging.resample import resize
from imagestudio.render.compose import compose, work_size
from imagestudio.render.overlay import (
    SafeZoneFractions,
    draw_headline,
    draw_label,
    layout_headline,
    require_freetype,
    safe_box,
)
from imagestudio.render.palette import Palette, PaletteBook, stable_hash

MAX_SIDE = 8192
_GRAIN_TILE = 192


class DraftRenderer:
    """Renders draft images; safe to share between threads (no mutable state after init).

    ``palettes`` defaults to the packaged ``palettes.yaml`` (read once, here). ``label``
    stamps a small "offline draft" mark in the bottom-right corner.
    Raises ``RuntimeError`` when Pillow lacks FreeType.
    """

    def __init__(self, *, palettes: PaletteBook | None = None, label: bool = True) -> None:
        require_freetype()
        self._book = palettes if palettes is not None else PaletteBook.load()
        self._label = label

    def palette(self, prompt: str, seed: int) -> Palette:
        """The palette :meth:`render` uses for ``(prompt, seed)``."""
        return self._palette(prompt, _rng(prompt, seed))

    def _palette(self, prompt: str, rng: np.random.Generator) -> Palette:
        return self._book.palette_for(prompt, hue_jitter=float(rng.uniform(-0.025, 0.025)))

    def render(
        self,
        prompt: str,
        seed: int,
        width: int,
        height: int,
        *,
        overlay_text: str | None = None,
        safe_zone: SafeZoneFractions | None = None,
    ) -> Image.Image:
        """Render an RGB image of exactly ``width × height``.

        The same arguments always give identical pixels. ``overlay_text`` is set as a
        headline inside ``safe_zone`` (``top, bottom, left, right`` fractions of the
        image); text that cannot fit even at the smallest size is left out.
        Raises ``ValueError`` for a side outside ``1..MAX_SIDE`` or a bad safe zone.
        """
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError(f"size must be within 1..{MAX_SIDE} per side, got {width}x{height}")
        if safe_zone is not None and (
            len(safe_zone) != 4 or not all(0.0 <= f < 0.5 for f in safe_zone)
        ):
            raise ValueError(f"safe_zone must be 4 fractions in [0, 0.5), got {safe_zone!r}")
        rng = _rng(prompt, seed)
        palette = self._palette(prompt, rng)
        image = compose(palette, rng, *work_size(width, height))
        if image.size != (width, height):
            image = resize(image, (width, height), filter="catmull_rom")  # Pillow's BICUBIC
        image = _add_grain(image, rng, 2.2 if palette.tone == "light" else 3.0)
        if overlay_text and overlay_text.strip():
            headline = layout_headline(
                overlay_text, safe_box(width, height, safe_zone), width, height
            )
            if headline is not None:
                draw_headline(image, headline, palette)
        if self._label:
            draw_label(image)
        return image


def _rng(prompt: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed % (1 << 64), stable_hash(prompt)])


def _add_grain(image: Image.Image, rng: np.random.Generator, sigma: float) -> Image.Image:
    """Fine monochrome film grain at full resolution (also hides gradient banding)."""
    tile = np.clip(rng.normal(128.0, sigma, (_GRAIN_TILE, _GRAIN_TILE)), 0, 255).astype(np.uint8)
    reps = (-(-image.height // _GRAIN_TILE), -(-image.width // _GRAIN_TILE))
    field = Image.fromarray(np.tile(tile, reps)[: image.height, : image.width])
    return ImageChops.add(image, Image.merge("RGB", (field, field, field)), offset=-128)
