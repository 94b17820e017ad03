"""Headline and call-to-action text for clips, laid out inside the target's safe zone.

The text does not move with the picture: it is drawn once on a transparent layer, cut to
its bounding box, split into planes and pasted on every frame (a few hundred thousand
pixels a frame, not the whole picture).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from imagestudio.render.overlay import Box, Headline, font, layout_headline, safe_box
from imagestudio.video.planes import Planes, to_planes

_PANEL = (18, 18, 22, 180)
_INK = (250, 248, 242, 255)
_CTA_PANEL = (250, 248, 242, 225)
_CTA_INK = (18, 18, 22, 255)


@dataclass(frozen=True)
class TextLayer:
    """The text's planes and alpha masks (full and half size), pasted at ``origin``."""

    planes: Planes
    alpha: Image.Image
    alpha_half: Image.Image
    origin: tuple[int, int]

    def paste(self, frame: Planes) -> None:
        x, y = self.origin
        frame.y.paste(self.planes.y, (x, y), self.alpha)
        frame.u.paste(self.planes.u, (x // 2, y // 2), self.alpha_half)
        frame.v.paste(self.planes.v, (x // 2, y // 2), self.alpha_half)


def _draw(layer: Image.Image, headline: Headline, panel: tuple[int, ...],
          ink: tuple[int, ...]) -> None:
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle(headline.panel, radius=round(headline.size * 0.3), fill=panel)
    cx = (headline.panel[0] + headline.panel[2]) / 2
    face = font(headline.size)
    for line, baseline in zip(headline.lines, headline.baselines, strict=True):
        draw.text((cx, baseline), line, font=face, fill=ink, anchor="ms",
                  stroke_width=headline.stroke, stroke_fill=ink)


def text_layer(
    width: int, height: int, safe_zone: tuple[float, float, float, float],
    headline: str | None, cta: str | None,
) -> TextLayer | None:
    """Lay ``headline`` (upper part) and ``cta`` (lower part) out inside the safe zone
    (``top, bottom, left, right`` fractions); None when there is nothing to draw."""
    left, top, right, bottom = safe_box(width, height, safe_zone)
    split = top + round((bottom - top) * (0.62 if cta else 1.0))
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    drawn = False
    parts: list[tuple[str | None, Box, tuple[int, ...], tuple[int, ...]]] = [
        (headline, (left, top, right, split), _PANEL, _INK),
        (cta, (left, split, right, bottom), _CTA_PANEL, _CTA_INK),
    ]
    for text, box, panel, ink in parts:
        if not text:
            continue
        laid = layout_headline(text, box, width, height)
        if laid is not None:
            _draw(layer, laid, panel, ink)
            drawn = True
    bbox = layer.getchannel("A").getbbox()
    if not drawn or bbox is None:
        return None
    x0, y0 = bbox[0] // 2 * 2, bbox[1] // 2 * 2  # even, so chroma lines up
    x1, y1 = min(width, (bbox[2] + 1) // 2 * 2), min(height, (bbox[3] + 1) // 2 * 2)
    cut = layer.crop((x0, y0, x1, y1))
    alpha = cut.getchannel("A")
    half = (cut.width // 2, cut.height // 2)
    return TextLayer(to_planes(cut), alpha, alpha.resize(half, Image.Resampling.BOX), (x0, y0))
