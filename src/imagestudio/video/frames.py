"""Frames of a motion clip, made from a still with Pillow alone.

Cost per frame is what matters (a 6 s clip at 30 fps is 180 frames of 2 megapixels).
The still is resampled once, up front, to the size where the deepest zoom meets the
output pixel for pixel, and converted to planes once; each frame is then three
antialiased box resamplings (``Image.resize`` with a sub-pixel ``box``, which moves
smoothly) of those planes, plus the text paste and the fade, which touch little.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from imagestudio.video.motion import Motion, crop_box
from imagestudio.video.planes import Planes, faded, to_planes

if TYPE_CHECKING:
    from imagestudio.video.text import TextLayer

_RESAMPLE = Image.Resampling.BILINEAR


@dataclass(frozen=True)
class Timeline:
    """``frame_count`` frames at ``fps``; fades in and out over that many frames."""

    frame_count: int
    fps: int
    fade_in_frames: int = 0
    fade_out_frames: int = 0

    def t(self, index: int) -> float:
        return index / (self.frame_count - 1) if self.frame_count > 1 else 1.0

    def level(self, index: int) -> float:
        """Brightness of frame ``index``: 0 is black, 1 the full picture."""
        level = 1.0
        if self.fade_in_frames:
            level = min(level, index / self.fade_in_frames)
        if self.fade_out_frames:
            level = min(level, (self.frame_count - 1 - index) / self.fade_out_frames)
        return max(0.0, level)


def prepare(image: Image.Image, width: int, height: int, max_zoom: float) -> Planes:
    """The still, resampled once so that at ``max_zoom`` one source pixel is one output
    pixel (sides rounded up to even), as planes."""
    scale = max(width * max_zoom / image.width, height * max_zoom / image.height)
    w = max(2, -(-round(image.width * scale) // 2) * 2)
    h = max(2, -(-round(image.height * scale) // 2) * 2)
    rgb = image.convert("RGB")
    resized = rgb.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return to_planes(resized)


class FrameMaker:
    """Makes frame ``i`` of a clip as planes; safe to call from one worker thread."""

    def __init__(self, source: Planes, width: int, height: int, motion: Motion,
                 timeline: Timeline, text: TextLayer | None = None) -> None:
        self._source = source
        self._size = (width, height)
        self._half = (width // 2, height // 2)
        self._motion = motion
        self._timeline = timeline
        self._text = text

    @property
    def timeline(self) -> Timeline:
        return self._timeline

    def frame(self, index: int, *, fades: bool = True) -> Planes:
        src = self._source
        sw, sh = src.size
        box = crop_box(self._motion.at(self._timeline.t(index)), sw, sh, *self._size)
        hw, hh = src.u.size
        half = (
            min(box[0] / 2, hw), min(box[1] / 2, hh), min(box[2] / 2, hw), min(box[3] / 2, hh)
        )
        planes = Planes(
            src.y.resize(self._size, _RESAMPLE, box=box),
            src.u.resize(self._half, _RESAMPLE, box=half),
            src.v.resize(self._half, _RESAMPLE, box=half),
        )
        if self._text is not None:
            self._text.paste(planes)
        return faded(planes, self._timeline.level(index)) if fades else planes
