"""Layered composition at reduced resolution: gradient, glows, a motif, texture, vignette.

Everything is drawn into a float32 canvas a few times smaller than the output (shapes get
anti-aliased edges for free when upscaled) with NumPy broadcasting over 1-D coordinate
vectors, so a frame costs a few milliseconds. The canvas is planar (channel, row, column):
with channels last every broadcast runs NumPy's inner loop over just 3 values, which made
the layers about 3x slower.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imagestudio.render.palette import RGB, Palette

Array = NDArray[np.floating[Any]]
Rng = np.random.Generator
WORK_LONG_SIDE = 400


def _planes(color: RGB) -> Array:
    """``color`` shaped to broadcast over a planar region."""
    return np.asarray(color, dtype=np.float32)[:, None, None]


class Canvas:
    """A planar float RGB canvas, ``pixels[channel, row, column]``, with pixel-centre
    coordinate vectors; ``unit`` is the short side."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.xs: Array = np.arange(width, dtype=np.float32) + 0.5
        self.ys: Array = np.arange(height, dtype=np.float32) + 0.5
        self.unit = float(min(width, height))
        self.pixels: Array = np.zeros((3, height, width), dtype=np.float32)

    def blend(
        self, color: RGB, alpha: Array, rows: slice = slice(None), cols: slice = slice(None)
    ) -> None:
        region = self.pixels[:, rows, cols]
        step = np.subtract(_planes(color), region)
        step *= alpha
        region += step

    def screen(
        self, color: RGB, alpha: Array, rows: slice = slice(None), cols: slice = slice(None)
    ) -> None:
        """Light-adding blend: brightens without greying out where colours mix."""
        region = self.pixels[:, rows, cols]
        step = np.subtract(1.0, region)
        step *= alpha
        step *= _planes(color)
        region += step

    def span(self, lo: float, hi: float, axis_len: int) -> slice:
        return slice(max(int(lo), 0), min(int(math.ceil(hi)) + 1, axis_len))


def work_size(width: int, height: int) -> tuple[int, int]:
    """The reduced canvas size used for ``width × height`` output."""
    scale = max(1, round(max(width, height) / WORK_LONG_SIDE))
    return max(1, -(-width // scale)), max(1, -(-height // scale))


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _edge(signed: Array, soft: float) -> Array:
    """Coverage from a signed distance (positive inside) with an edge ``soft`` pixels wide."""
    coverage: Array = np.clip(signed / max(soft, 0.6) + 0.5, 0.0, 1.0)
    return coverage


def gradient(c: Canvas, start: RGB, end: RGB, angle: float) -> None:
    proj = c.xs[None, :] * math.cos(angle) + c.ys[:, None] * math.sin(angle)
    lo, hi = float(proj.min()), float(proj.max())
    t = (proj - lo) / max(hi - lo, 1e-6)
    t = t * t * (3.0 - 2.0 * t)
    c.pixels[:] = _planes(start)
    c.blend(end, t)


def glow(
    c: Canvas,
    color: RGB,
    cx: float,
    cy: float,
    radius: float,
    strength: float,
    *,
    screen: bool = False,
) -> None:
    rows = c.span(cy - 2.2 * radius, cy + 2.2 * radius, c.height)
    cols = c.span(cx - 2.2 * radius, cx + 2.2 * radius, c.width)
    gx = np.exp(-(((c.xs[cols] - cx) / radius) ** 2))
    gy = np.exp(-(((c.ys[rows] - cy) / radius) ** 2))
    (c.screen if screen else c.blend)(color, strength * np.outer(gy, gx), rows, cols)


def disc(
    c: Canvas,
    color: RGB,
    cx: float,
    cy: float,
    r: float,
    opacity: float,
    soft: float = 0.8,
    *,
    ring: float | None = None,
    screen: bool = False,
) -> None:
    """A disc (or, with ``ring`` = line width, a circle outline) with a soft edge."""
    reach = r + soft + (ring or 0.0)
    rows, cols = c.span(cy - reach, cy + reach, c.height), c.span(cx - reach, cx + reach, c.width)
    if rows.start >= rows.stop or cols.start >= cols.stop:
        return
    d = np.sqrt((c.xs[cols] - cx)[None, :] ** 2 + (c.ys[rows] - cy)[:, None] ** 2)
    signed = r - d if ring is None else ring / 2 - np.abs(d - r)
    (c.screen if screen else c.blend)(color, _edge(signed, soft) * opacity, rows, cols)


def band(c: Canvas, color: RGB, offset: float, width: float, angle: float, opacity: float) -> None:
    nx, ny = math.cos(angle), math.sin(angle)
    dist = np.abs(c.xs[None, :] * nx + c.ys[:, None] * ny - offset)
    c.blend(color, _edge(width / 2 - dist, 0.8) * opacity)


def ridge(
    c: Canvas,
    color: RGB,
    base: float,
    waves: Sequence[tuple[float, float, float]],
    opacity: float,
    *,
    line: float | None = None,
) -> None:
    """Fill everything below ``base + Σ amp·sin(2π·freq·x/width + phase)`` (or, with
    ``line`` = width, stroke just that curve)."""
    surface = np.full(c.width, base, dtype=np.float32)
    for amp, freq, phase in waves:
        surface += amp * np.sin(c.xs * (2 * math.pi * freq / c.width) + phase)
    top = float(surface.min()) - 1 - (line or 0.0)
    bottom = c.height if line is None else float(surface.max()) + 1 + line
    rows = c.span(top, bottom, c.height)
    if rows.start >= rows.stop:
        return
    below = c.ys[rows, None] - surface[None, :]
    signed = below if line is None else line / 2 - np.abs(below)
    c.blend(color, _edge(signed, 0.8) * opacity, rows)


def _pick(rng: Rng, colors: Sequence[RGB]) -> RGB:
    return colors[int(rng.integers(len(colors)))]


def motif_orbs(c: Canvas, p: Palette, rng: Rng) -> None:
    big = c.unit * rng.uniform(0.35, 0.5)
    disc(
        c,
        _pick(rng, p.accents),
        rng.uniform(0, 1) * c.width,
        rng.uniform(0, 1) * c.height,
        big,
        0.35,
        big * 0.4,
    )
    for _ in range(int(rng.integers(3, 6))):
        r = c.unit * rng.uniform(0.08, 0.32)
        cx, cy = rng.uniform(-0.05, 1.05) * c.width, rng.uniform(-0.05, 1.05) * c.height
        disc(c, _pick(rng, p.accents), cx, cy, r, rng.uniform(0.45, 0.8), 0.8)
    glow(
        c,
        p.highlight,
        rng.uniform(0.2, 0.8) * c.width,
        rng.uniform(0.15, 0.5) * c.height,
        c.unit * 0.35,
        0.35,
    )


def motif_bokeh(c: Canvas, p: Palette, rng: Rng) -> None:
    lights = (*p.accents[:3], p.highlight, p.highlight)
    glow(
        c,
        p.highlight,
        rng.uniform(0.25, 0.75) * c.width,
        0.35 * c.height,
        c.unit * 0.4,
        0.25,
        screen=True,
    )
    for _ in range(int(rng.integers(18, 30))):
        r = c.unit * rng.uniform(0.015, 0.09)
        cx, cy = rng.uniform(0, c.width), rng.uniform(0, c.height) * rng.uniform(0.3, 1.0)
        soft = r * rng.choice([0.06, 0.25, 0.6])
        disc(c, _pick(rng, lights), cx, cy, r, rng.uniform(0.15, 0.55), soft, screen=True)


def motif_bands(c: Canvas, p: Palette, rng: Rng) -> None:
    angle = rng.choice([-1, 1]) * rng.uniform(0.45, 1.1)
    nx, ny = math.cos(angle), math.sin(angle)
    corners = [x * nx + y * ny for x in (0, c.width) for y in (0, c.height)]
    lo, hi = min(corners), max(corners)
    start = lo + rng.uniform(0.2, 0.5) * (hi - lo)
    for i in range(int(rng.integers(3, 6))):
        width = c.unit * rng.uniform(0.04, 0.28)
        band(c, p.accents[i % len(p.accents)], start, width, angle, rng.uniform(0.3, 0.75))
        start += width / 2 + c.unit * rng.uniform(0.05, 0.22)
    r = c.unit * rng.uniform(0.18, 0.3)
    disc(
        c,
        p.highlight,
        rng.uniform(0.1, 0.9) * c.width,
        rng.uniform(0.1, 0.9) * c.height,
        r,
        rng.uniform(0.35, 0.7),
    )


def motif_rings(c: Canvas, p: Palette, rng: Rng) -> None:
    cx = rng.choice([0.15, 0.85]) * c.width + rng.uniform(-0.1, 0.1) * c.width
    cy = rng.uniform(0.2, 0.8) * c.height
    glow(c, _pick(rng, p.accents), cx, cy, c.unit * 0.45, 0.55)
    disc(c, _pick(rng, p.accents), cx, cy, c.unit * rng.uniform(0.1, 0.18), 0.5, 1.0)
    radius, step = c.unit * rng.uniform(0.16, 0.24), c.unit * rng.uniform(0.05, 0.09)
    line = max(c.unit * rng.uniform(0.006, 0.012), 1.2)
    for i in range(int(rng.integers(5, 9))):
        disc(c, p.highlight, cx, cy, radius + i * step, 0.7 * 0.85**i, 0.8, ring=line)


def motif_hills(c: Canvas, p: Palette, rng: Rng) -> None:
    sx, sy = rng.uniform(0.2, 0.8) * c.width, rng.uniform(0.28, 0.42) * c.height
    glow(c, p.highlight, sx, sy, c.unit * 0.5, 0.55)
    disc(c, p.highlight, sx, sy, c.unit * rng.uniform(0.07, 0.12), 0.95, 1.0)
    layers = int(rng.integers(3, 5))
    far = _mix(p.accents[0], p.background[1], 0.45)
    for i in range(layers):
        t = i / max(layers - 1, 1)
        waves = [
            (
                c.unit * rng.uniform(0.02, 0.07) * (1 - 0.4 * t),
                rng.uniform(0.4, 2.2),
                rng.uniform(0, 2 * math.pi),
            )
            for _ in range(2)
        ]
        base = c.height * (0.52 + 0.32 * t)
        ridge(c, _mix(far, p.shadow, 0.25 + 0.7 * t), base, waves, 1.0)


def motif_waves(c: Canvas, p: Palette, rng: Rng) -> None:
    horizon = rng.uniform(0.42, 0.58) * c.height
    glow(c, p.highlight, rng.uniform(0.25, 0.75) * c.width, horizon, c.unit * 0.45, 0.5)
    disc(
        c,
        p.highlight,
        rng.uniform(0.2, 0.8) * c.width,
        horizon - c.unit * 0.16,
        c.unit * rng.uniform(0.05, 0.09),
        0.9,
    )
    count = int(rng.integers(5, 8))
    for i in range(count):
        t = i / (count - 1)
        waves = [
            (
                c.unit * rng.uniform(0.004, 0.012) * (1 + t),
                rng.uniform(3.0, 7.0) * (1.3 - 0.6 * t),
                rng.uniform(0, 2 * math.pi),
            )
            for _ in range(2)
        ]
        color = _mix(p.accents[i % len(p.accents)], p.shadow, 0.1 + 0.6 * t)
        ridge(c, color, horizon + (c.height - horizon) * t * 0.85, waves, 0.9)
        ridge(
            c,
            p.highlight,
            horizon + (c.height - horizon) * t * 0.85,
            waves,
            0.3 * (1 - t),
            line=1.2,
        )


MOTIF_DRAWERS: dict[str, Callable[[Canvas, Palette, Rng], None]] = {
    "orbs": motif_orbs,
    "bokeh": motif_bokeh,
    "bands": motif_bands,
    "rings": motif_rings,
    "hills": motif_hills,
    "waves": motif_waves,
}


def texture(c: Canvas, rng: Rng, amount: float) -> None:
    """Low-frequency mottling so flat areas read as a surface rather than a fill."""
    grid = Image.fromarray(rng.random((6, 6), dtype=np.float32))
    field = np.asarray(grid.resize((c.width, c.height), Image.Resampling.BICUBIC))
    c.pixels *= 1.0 + amount * (field - 0.5)


def vignette(c: Canvas, strength: float) -> None:
    vx = ((c.xs / c.width) - 0.5) ** 2
    vy = ((c.ys / c.height) - 0.5) ** 2
    c.pixels *= 1.0 - strength * 2.0 * (vx[None, :] + vy[:, None])


def compose(palette: Palette, rng: Rng, width: int, height: int) -> Image.Image:
    """Draw the layered background at ``width × height`` (the reduced size) as an RGB image."""
    c = Canvas(width, height)
    gradient(c, palette.background[0], palette.background[1], rng.uniform(0, 2 * math.pi))
    screen = palette.tone != "light"
    for _ in range(int(rng.integers(2, 4))):
        glow(
            c,
            _pick(rng, palette.accents),
            rng.uniform(0, c.width),
            rng.uniform(0, c.height),
            c.unit * rng.uniform(0.3, 0.6),
            rng.uniform(0.15, 0.3) if screen else 0.35,
            screen=screen,
        )
    MOTIF_DRAWERS[palette.motif](c, palette, rng)
    texture(c, rng, 0.1)
    vignette(c, 0.1 if palette.tone == "light" else 0.28)
    out = c.pixels * 255.0
    out += 0.5
    np.clip(out, 0, 255, out=out)
    planes = out.astype(np.uint8)
    return Image.merge("RGB", [Image.fromarray(plane) for plane in planes])
