"""Where the subject of an image is: a focus point and a subject box, from a thumbnail.

Two strategies in the spirit of libvips' ``smartcrop`` (and imgproxy's "smart" gravity):

- ``attention``: edges (luminance gradient), colour saturation and skin tones, each
  normalised and summed, then smoothed; the subject is where that map is high.
- ``entropy``: the Shannon entropy of the luminance in each block of a grid.

Both run on a small RGB thumbnail (about 192 px on the long side, a few milliseconds with
numpy) that either engine supplies, so the Pillow and libvips engines place every crop
identically. Faces are the ``faces`` strategy (:mod:`imagestudio.imaging.faces`, the
optional OpenCV extra); without it, skin tones weigh into ``attention``.
"""

from __future__ import annotations

import numpy as np

from imagestudio.imaging.focus import CENTRE, STRATEGIES, Focus, Strategy

_BLOCKS = 12  # entropy grid (per long side)
_THRESHOLD = 0.5  # of the map's peak: what counts as subject


def find_focus(rgb: np.ndarray, strategy: Strategy) -> Focus:
    """The focus of ``rgb`` (``H × W × 3`` uint8) by ``strategy``."""
    if strategy == "centre":
        return CENTRE
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown saliency strategy {strategy!r}")
    image = rgb.astype(np.float32) / 255.0
    heat = _attention(image) if strategy == "attention" else _entropy(image)
    return _focus_of(heat)


def _normalised(a: np.ndarray) -> np.ndarray:
    span = float(a.max() - a.min())
    return (a - a.min()) / span if span > 1e-6 else np.zeros_like(a)


def _smooth(a: np.ndarray, passes: int = 3) -> np.ndarray:
    """A cheap blur: repeated 3×3 box means (edge-padded)."""
    for _ in range(passes):
        p = np.pad(a, 1, mode="edge")
        a = (p[:-2, :-2] + p[:-2, 1:-1] + p[:-2, 2:] + p[1:-1, :-2] + p[1:-1, 1:-1]
             + p[1:-1, 2:] + p[2:, :-2] + p[2:, 1:-1] + p[2:, 2:]) / 9.0
    return a


def _attention(image: np.ndarray) -> np.ndarray:
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    gy, gx = np.gradient(_smooth(luma, 1))
    edges = np.hypot(gx, gy)
    high, low = image.max(axis=2), image.min(axis=2)
    saturation = np.where(high > 1e-3, (high - low) / np.maximum(high, 1e-3), 0.0)
    skin = ((r > 0.37) & (g > 0.16) & (b > 0.08) & (r > g) & (r > b)
            & (r - np.minimum(g, b) > 0.06)).astype(np.float32)
    heat = _normalised(edges) + _normalised(saturation) + 0.5 * skin
    return _smooth(heat.astype(np.float32), 3)


def _entropy(image: np.ndarray) -> np.ndarray:
    luma = (0.299 * image[..., 0] + 0.587 * image[..., 1] + 0.114 * image[..., 2]) * 31
    bins = luma.astype(np.int32).clip(0, 31)
    h, w = bins.shape
    step = max(1, max(h, w) // _BLOCKS)
    heat = np.zeros_like(luma, dtype=np.float32)
    for y in range(0, h, step):
        for x in range(0, w, step):
            block = bins[y:y + step, x:x + step]
            counts = np.bincount(block.ravel(), minlength=32).astype(np.float32)
            p = counts[counts > 0] / block.size
            heat[y:y + step, x:x + step] = float(-(p * np.log2(p)).sum())
    return _smooth(heat, 2)


def _focus_of(heat: np.ndarray) -> Focus:
    h, w = heat.shape
    heat = _normalised(heat)
    if not heat.any():
        return CENTRE
    mask = heat >= _THRESHOLD
    ys, xs = np.nonzero(mask)
    weights = heat[mask]
    cx = float((xs * weights).sum() / weights.sum() + 0.5) / w
    cy = float((ys * weights).sum() / weights.sum() + 0.5) / h
    # the box: the smallest window holding 90 % of the subject's weight per axis
    box = (*_span(xs, weights, w), *_span(ys, weights, h))
    return Focus(cx, cy, (box[0], box[2], box[1], box[3]))


def _span(positions: np.ndarray, weights: np.ndarray, length: int) -> tuple[float, float]:
    order = np.argsort(positions)
    cum = np.cumsum(weights[order]) / weights.sum()
    lo = positions[order][int(np.searchsorted(cum, 0.05))]
    hi = positions[order][min(int(np.searchsorted(cum, 0.95)), len(order) - 1)]
    return float(lo) / length, float(hi + 1) / length
