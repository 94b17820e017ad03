"""Aspect-ratio arithmetic: parsing ratio strings and labelling sizes honestly.

A label is derived from the pixels, never typed by hand: exact when W:H reduces to a
standard ratio, ``≈`` plus the nearest standard within 2 %, else ``≈X.XX:1``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from imagestudio.errors import InvalidRequest

# Ratios marketers and vendors name; "1.91:1" is the feed-link ratio of Facebook/LinkedIn/IG.
STANDARD_RATIOS: tuple[tuple[str, float], ...] = (
    ("1:1", 1.0),
    ("4:5", 4 / 5),
    ("5:4", 5 / 4),
    ("3:4", 3 / 4),
    ("4:3", 4 / 3),
    ("2:3", 2 / 3),
    ("3:2", 3 / 2),
    ("9:16", 9 / 16),
    ("16:9", 16 / 9),
    ("21:9", 21 / 9),
    ("9:21", 9 / 21),
    ("1.91:1", 1.91),
    ("2:1", 2.0),
    ("1:2", 0.5),
    ("3:1", 3.0),
    ("1:3", 1 / 3),
    ("4:1", 4.0),
)

APPROX_TOLERANCE = 0.02
_RATIO_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:xX×/]\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class RatioLabel:
    """``label`` for display, ``exact`` as reduced ``W:H``, ``value`` = W/H."""

    label: str
    exact: str
    value: float
    approximate: bool


def reduced(width: int, height: int) -> str:
    g = math.gcd(width, height)
    return f"{width // g}:{height // g}"


def relative_deviation(value: float, target: float) -> float:
    return abs(value - target) / target


def label_for(width: int, height: int) -> RatioLabel:
    """Label ``width``×``height``: plain only when exact, ``≈`` otherwise."""
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    value = width / height
    exact = reduced(width, height)
    for name, _ in STANDARD_RATIOS:
        if exact == name:
            return RatioLabel(name, exact, value, approximate=False)
    name, ratio = min(STANDARD_RATIOS, key=lambda item: abs(math.log(value / item[1])))
    if relative_deviation(value, ratio) <= APPROX_TOLERANCE:
        return RatioLabel(f"≈{name}", exact, value, approximate=True)
    if value >= 1:
        return RatioLabel(f"≈{value:.2f}:1", exact, value, approximate=True)
    return RatioLabel(f"≈1:{1 / value:.2f}", exact, value, approximate=True)


def parse_ratio(text: str, *, field: str = "aspect_ratio") -> float:
    """Parse ``"16:9"``, ``"1.91:1"``, ``"≈21:9"`` or ``"4x5"`` into W/H.

    Raises :class:`InvalidRequest` naming ``field`` for anything else.
    """
    cleaned = text.replace("≈", "").replace("~", "")
    match = _RATIO_RE.match(cleaned)
    if not match:
        raise InvalidRequest(
            f"{field} must look like '16:9' or '1.91:1', got {text!r}", field=field
        )
    w, h = float(match.group(1)), float(match.group(2))
    if w <= 0 or h <= 0:
        raise InvalidRequest(f"{field} terms must be positive, got {text!r}", field=field)
    value = w / h
    if not 1 / 16 <= value <= 16:
        raise InvalidRequest(f"{field} must be between 1:16 and 16:1, got {text!r}", field=field)
    return value


def ratio_distance(a: float, b: float) -> float:
    """Symmetric distance between two ratios (|log a/b|): 16:9 vs 9:16 is far, 1.91 vs 1.9 near."""
    return abs(math.log(a / b))


def as_fraction(value: float, max_denominator: int = 1000) -> Fraction:
    return Fraction(value).limit_denominator(max_denominator)
