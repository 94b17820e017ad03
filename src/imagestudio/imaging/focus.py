"""Where crops centre: the focus point and subject box (no NumPy: cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Strategy = Literal["attention", "entropy", "centre"]
STRATEGIES: tuple[Strategy, ...] = ("attention", "entropy", "centre")


@dataclass(frozen=True)
class Focus:
    """``(x, y)``: the point crops centre on; ``box``: the subject ``(x0, y0, x1, y1)``;
    all fractions of the image's width and height."""

    x: float
    y: float
    box: tuple[float, float, float, float]


CENTRE = Focus(0.5, 0.5, (0.5, 0.5, 0.5, 0.5))
