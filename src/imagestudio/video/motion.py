"""Motion presets as pure geometry: where the camera looks at time ``t`` in 0..1.

A preset moves a window over the still. The window always has the target's aspect ratio
and stays inside the image, so no frame ever shows an edge. Sizes are fractions of the
*cover crop* (the largest target-shaped rectangle of the image): zoom ``z`` shows ``1/z``
of it. Positions are window centres in image fractions (0..1 across, 0..1 down).

Directions name the camera's move: ``pan-left`` turns the camera left, so the picture
slides right. ``push`` is a parallax-free dolly: a deeper zoom straight at the focal point
with an ease-in (it accelerates); ``ken-burns`` zooms gently while drifting from the
centre to the focal point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

Preset = Literal[
    "zoom-in", "zoom-out", "pan-left", "pan-right", "pan-up", "pan-down", "ken-burns", "push"
]
PRESETS: tuple[Preset, ...] = get_args(Preset)
Ease = Literal["linear", "ease-in", "ease-out", "ease-in-out"]
EASES: tuple[Ease, ...] = get_args(Ease)

DEFAULT_EASE: dict[Preset, Ease] = {
    "zoom-in": "ease-in-out", "zoom-out": "ease-in-out", "pan-left": "ease-in-out",
    "pan-right": "ease-in-out", "pan-up": "ease-in-out", "pan-down": "ease-in-out",
    "ken-burns": "linear", "push": "ease-in",
}
ZOOM = 1.2  # zoom-in / zoom-out / ken-burns end zoom
PUSH_ZOOM = 1.35
PAN_ZOOM = 1.15  # pans show 1/1.15 of the cover crop, so there is room to travel


def _sine_in_out(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


EASE_FUNCTIONS: dict[Ease, Callable[[float], float]] = {
    "linear": lambda t: t,
    "ease-in": lambda t: t * t * t,
    "ease-out": lambda t: 1 - (1 - t) ** 3,
    "ease-in-out": _sine_in_out,
}


@dataclass(frozen=True)
class Window:
    """``zoom`` ≥ 1 relative to the cover crop; centre ``(cx, cy)`` in image fractions."""

    zoom: float
    cx: float
    cy: float


@dataclass(frozen=True)
class Motion:
    """A preset with its ease and focal point (image fractions; the centre by default)."""

    preset: Preset
    ease: Ease
    focal: tuple[float, float] = (0.5, 0.5)

    @property
    def max_zoom(self) -> float:
        """The deepest zoom the preset reaches: how much detail the source must supply."""
        if self.preset == "push":
            return PUSH_ZOOM
        if self.preset.startswith("pan-"):
            return PAN_ZOOM
        return ZOOM

    def at(self, t: float) -> Window:
        """The window at time ``t`` (0..1), before clamping to the image."""
        e = EASE_FUNCTIONS[self.ease](min(1.0, max(0.0, t)))
        fx, fy = self.focal
        preset = self.preset
        if preset == "zoom-in":
            return Window(1 + (ZOOM - 1) * e, fx, fy)
        if preset == "zoom-out":
            return Window(ZOOM - (ZOOM - 1) * e, fx, fy)
        if preset == "push":
            return Window(1 + (PUSH_ZOOM - 1) * e, fx, fy)
        if preset == "ken-burns":
            return Window(1 + (ZOOM - 1) * e, 0.5 + (fx - 0.5) * e, 0.5 + (fy - 0.5) * e)
        # pans: from one extreme to the other; clamping turns 0/1 into the image edges
        if preset == "pan-left":
            return Window(PAN_ZOOM, 1 - e, fy)
        if preset == "pan-right":
            return Window(PAN_ZOOM, e, fy)
        if preset == "pan-up":
            return Window(PAN_ZOOM, fx, 1 - e)
        return Window(PAN_ZOOM, fx, e)  # pan-down


Box = tuple[float, float, float, float]


def crop_box(window: Window, image_w: int, image_h: int, out_w: int, out_h: int) -> Box:
    """The window as a pixel box ``(left, top, right, bottom)`` inside an image of
    ``image_w × image_h``, with the ``out_w:out_h`` aspect, clamped to the image."""
    scale = min(image_w / out_w, image_h / out_h)  # the cover crop, in image pixels
    w, h = out_w * scale / window.zoom, out_h * scale / window.zoom
    left = max(0.0, min(window.cx * image_w - w / 2, image_w - w))
    top = max(0.0, min(window.cy * image_h - h / 2, image_h - h))
    return (left, top, min(float(image_w), left + w), min(float(image_h), top + h))
