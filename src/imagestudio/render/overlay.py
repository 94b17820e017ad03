"""Headline text laid out inside the platform safe zone, and the small "offline draft" label.

The font is the scalable Aileron Regular that ships inside Pillow (``ImageFont.load_default``
with a size), so text needs nothing beyond the Pillow wheel, but it does need FreeType.
Layout invariant: the headline panel stays at least :func:`label_band` pixels away from
every image edge, so the corner label can never collide with it.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageStat, features

from imagestudio.render.palette import RGB, Palette

Box = tuple[int, int, int, int]
SafeZoneFractions = tuple[float, float, float, float]
LABEL_TEXT = "offline draft"
_MIN_SIZE = 8
_REPLACEMENTS = {"\u2013": "-", "\u2014": "-", "\u2026": "...", "\u20ac": "EUR", "\u00a0": " "}
# One FreeType face per (thread, size): a face must not be used by two threads at once
# (free-threaded builds), and loading one per call would repeat the work for every line.
_faces = threading.local()


def require_freetype() -> None:
    """Raise ``RuntimeError`` unless Pillow was built with FreeType (needed for all text)."""
    if not features.check_module("freetype2"):
        raise RuntimeError(
            "Pillow was built without FreeType support; the offline draft renderer needs it "
            "to draw text. Install a Pillow wheel from PyPI (it bundles FreeType)."
        )


def font(size: int) -> ImageFont.FreeTypeFont:
    """The bundled font at ``size`` pixels (cached per thread)."""
    cache: dict[int, ImageFont.FreeTypeFont] | None = getattr(_faces, "cache", None)
    if cache is None:
        cache = _faces.cache = {}
    face = cache.get(size)
    if face is None:
        loaded = ImageFont.load_default(size=size)
        if not isinstance(loaded, ImageFont.FreeTypeFont):
            require_freetype()
            raise RuntimeError("Pillow returned a bitmap font; FreeType is unavailable")
        face = cache[size] = loaded
    return face


@functools.lru_cache(maxsize=8192)
def _length(size: int, text: str) -> float:
    """Advance width of ``text`` at ``size``; wrapping asks for the same strings often."""
    return float(font(size).getlength(text))


def safe_box(width: int, height: int, safe_zone: SafeZoneFractions | None) -> Box:
    """``(left, top, right, bottom)`` pixels from ``(top, bottom, left, right)`` fractions."""
    top, bottom, left, right = safe_zone or (0.0, 0.0, 0.0, 0.0)
    return (
        round(width * left),
        round(height * top),
        width - round(width * right),
        height - round(height * bottom),
    )


def _label_metrics(width: int, height: int) -> tuple[int, int]:
    size = max(9, round(min(width, height) * 0.016))
    return size, max(3, round(size * 0.6))


def label_band(width: int, height: int) -> int:
    """Pixels along each edge that the corner label may use."""
    size, pad = _label_metrics(width, height)
    return round(size * 1.3) + 2 * pad


@functools.lru_cache(maxsize=512)
def _glyph_ok(char: str) -> bool:
    probe = font(20)
    return char.isspace() or bytes(probe.getmask(char)) != bytes(probe.getmask("\uffff"))


def printable(text: str) -> str:
    """Map ``text`` onto the glyphs the bundled font has (accents dropped, dashes plain)."""
    out: list[str] = []
    for char in " ".join(text.split()):
        if _glyph_ok(char):
            out.append(char)
            continue
        swap = _REPLACEMENTS.get(char)
        if swap is None:
            swap = "".join(c for c in unicodedata.normalize("NFKD", char) if _glyph_ok(c))
        out.append(swap)
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class Headline:
    lines: tuple[str, ...]
    size: int
    stroke: int
    panel: Box
    baselines: tuple[int, ...]


def _wrap(words: list[str], size: int, max_w: float) -> list[str] | None:
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}" if current else word
        if _length(size, trial) <= max_w:
            current = trial
        elif not current or _length(size, word) > max_w:
            return None
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def _balanced(words: list[str], size: int, max_w: float) -> list[str] | None:
    """Greedy wrap, then the narrowest width that keeps the same line count (no orphans)."""
    lines = _wrap(words, size, max_w)
    if lines is None or len(lines) == 1:
        return lines
    lo, hi = max_w / len(lines), max_w
    for _ in range(10):
        mid = (lo + hi) / 2
        trial = _wrap(words, size, mid)
        if trial is not None and len(trial) == len(lines):
            hi = mid
        else:
            lo = mid
    return _wrap(words, size, hi) or lines


def _measure(text: str, size: int, inner: Box, max_h: float) -> Headline | None:
    face = font(size)
    stroke = round(size / 48)
    pad_x, pad_y = round(size * 0.55), round(size * 0.38)
    avail_w = inner[2] - inner[0] - 2 * pad_x - 2 * stroke
    lines = _balanced(text.split(" "), size, avail_w) if avail_w > 0 else None
    if lines is None:
        return None
    cap = round(-face.getbbox("H", anchor="ls")[1])
    descent = face.getmetrics()[1]
    gap = round(size * 1.16)
    panel_h = cap + descent + gap * (len(lines) - 1) + 2 * pad_y + 2 * stroke
    if panel_h > max_h:
        return None
    text_w = max(_length(size, line) for line in lines) + 2 * stroke
    cx = (inner[0] + inner[2]) / 2
    half_w = text_w / 2 + pad_x
    wide = (inner[2] - inner[0]) > 2.5 * (inner[3] - inner[1])
    centre_y = (inner[1] + inner[3]) / 2 if wide else inner[1] + 0.72 * (inner[3] - inner[1])
    top = min(max(centre_y - panel_h / 2, inner[1]), inner[3] - panel_h)
    panel = (int(cx - half_w), int(top), int(cx + half_w + 0.999), int(top + panel_h))
    first = int(top) + pad_y + stroke + cap
    baselines = tuple(first + i * gap for i in range(len(lines)))
    return Headline(tuple(lines), size, stroke, panel, baselines)


def layout_headline(text: str, box: Box, width: int, height: int) -> Headline | None:
    """Fit ``text`` inside ``box`` at the largest size that wraps without overflow.

    Returns ``None`` when nothing printable remains or even the minimum size cannot fit.
    """
    clean = printable(text)
    if not clean:
        return None
    margin = max(round(0.04 * min(box[2] - box[0], box[3] - box[1])), label_band(width, height))
    inner = (box[0] + margin, box[1] + margin, box[2] - margin, box[3] - margin)
    inner_w, inner_h = inner[2] - inner[0], inner[3] - inner[1]
    if inner_w <= 0 or inner_h <= 0:
        return None
    max_h = inner_h if inner_w > 2.5 * inner_h else inner_h * 0.55
    lo, hi = _MIN_SIZE, max(_MIN_SIZE, round(min(inner_w * 0.085, inner_h * 0.5)))
    best = _measure(clean, lo, inner, max_h)
    if best is None:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        found = _measure(clean, mid, inner, max_h)
        if found is None:
            hi = mid - 1
        else:
            lo, best = mid, found
    return best


def _luminance(image: Image.Image, box: Box) -> float:
    return float(ImageStat.Stat(image.crop(box).convert("L")).mean[0])


def _to8(color: RGB) -> tuple[int, int, int]:
    return (round(color[0] * 255), round(color[1] * 255), round(color[2] * 255))


def draw_headline(image: Image.Image, headline: Headline, palette: Palette) -> None:
    _draw(image, headline, palette.shadow)


def _draw(image: Image.Image, headline: Headline, shadow_color: RGB) -> None:
    light = _luminance(image, headline.panel) > 165
    shadow = _to8(shadow_color)
    panel_fill = (255, 255, 255, 190) if light else (*shadow, 175)
    ink = shadow if light else (250, 248, 242)
    draw = ImageDraw.Draw(image, "RGBA")
    draw.rounded_rectangle(headline.panel, radius=round(headline.size * 0.3), fill=panel_fill)
    face = font(headline.size)
    cx = (headline.panel[0] + headline.panel[2]) / 2
    for line, baseline in zip(headline.lines, headline.baselines, strict=True):
        draw.text(
            (cx, baseline),
            line,
            font=face,
            fill=ink,
            anchor="ms",
            stroke_width=headline.stroke,
            stroke_fill=ink,
        )


def draw_label(image: Image.Image) -> None:
    """Stamp "offline draft" small and translucent in the bottom-right corner (if it fits)."""
    size, pad = _label_metrics(*image.size)
    face = font(size)
    x, y = image.width - pad, image.height - pad
    left = x - round(face.getlength(LABEL_TEXT))
    if left < pad or y - size < pad:
        return
    corner = (left, y - size, x, y)
    ink = (20, 20, 24, 140) if _luminance(image, corner) > 150 else (255, 255, 255, 150)
    ImageDraw.Draw(image, "RGBA").text((x, y), LABEL_TEXT, font=face, fill=ink, anchor="rd")


NEUTRAL_SHADOW: RGB = (0.07, 0.07, 0.09)


def overlay_headline(
    image: Image.Image, text: str, safe_zone: SafeZoneFractions | None
) -> Image.Image:
    """Composite ``text`` as a headline inside ``safe_zone`` on any image (a copy, RGB).

    Used for images from AI models, which are not asked to draw text themselves.
    """
    result = image.convert("RGB") if image.mode != "RGB" else image.copy()
    headline = layout_headline(text, safe_box(*result.size, safe_zone), *result.size)
    if headline is not None:
        _draw(result, headline, NEUTRAL_SHADOW)
    return result
