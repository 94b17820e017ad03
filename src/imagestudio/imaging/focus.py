"""Where crops centre: the focus point and subject box (no NumPy: cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "faces": OpenCV's bundled face detector (the [faces] extra), attention where none is found
Strategy = Literal["attention", "entropy", "centre", "faces"]
STRATEGIES: tuple[Strategy, ...] = ("attention", "entropy", "centre")  # the saliency maps


@dataclass(frozen=True)
class Focus:
    """``(x, y)``: the point crops centre on; ``box``: the subject ``(x0, y0, x1, y1)``;
    all fractions of the image's width and height."""

    x: float
    y: float
    box: tuple[float, float, float, float]


CENTRE = Focus(0.5, 0.5, (0.5, 0.5, 0.5, 0.5))
