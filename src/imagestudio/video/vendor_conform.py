"""A vendor's clip made to meet its video target: the exact size, a frame rate inside the
target's range, the asked length inside the target's duration limits, H.264 ``yuv420p``
MP4 under the byte limit (the same encoder settings as the local presets).

Vendors make their own sizes and rates (Veo 1280×720 or 720×1280 at 24 fps, WAN the
image's aspect at 720p or 1080p): a clip that does not match is decoded and re-encoded
here, each frame scaled to cover the target and centre-cropped, frames picked by time
(held or dropped) for the new rate, the soundtrack (if any) kept and cut to the length.
A clip that already matches is kept byte for byte.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from imagestudio.catalog.video_targets import VideoTarget
from imagestudio.errors import InvalidRequest
from imagestudio.video.encode import AudioTrack, EncodeSettings, encode, load_av
from imagestudio.video.planes import Planes, to_planes
from imagestudio.video.probe import VideoFacts, probe
from imagestudio.video.render import MIN_VIDEO_BITRATE, peak_bitrate

_RETRIES = 2


@dataclass(frozen=True)
class Conformed:
    """The clip as delivered (``data``), its facts, and what was changed."""

    data: bytes
    facts: VideoFacts
    warnings: tuple[str, ...]


def wanted(target: VideoTarget, facts: VideoFacts, asked_s: float) -> tuple[int, int]:
    """The frame rate and frame count the delivered clip must have: the vendor's rate
    when the target takes it (no judder), else the target's default; the asked length,
    inside the target's duration limits."""
    rate = round(facts.fps)
    fps = rate if target.fps.min <= rate <= target.fps.max else target.fps.default
    seconds = min(max(asked_s, target.duration.min_s), target.duration.max_s)
    return fps, max(1, round(seconds * fps))


def matches(target: VideoTarget, facts: VideoFacts, fps: int, frames: int, size: int) -> bool:
    return ((facts.width, facts.height) == (target.width, target.height)
            and round(facts.fps) == fps and abs(facts.frame_count - frames) <= 1
            and facts.codec == "h264" and facts.pixel_format == "yuv420p"
            and size <= target.max_bytes)


def conform_vendor_clip(data: bytes, target: VideoTarget, asked_s: float) -> Conformed:
    """``data`` (a vendor's MP4) meeting ``target`` (CPU-bound when it must be re-encoded:
    call it off the event loop)."""
    facts = probe(data)
    fps, frames = wanted(target, facts, asked_s)
    if matches(target, facts, fps, frames, len(data)):
        return Conformed(data, facts, ())
    seconds = frames / fps
    audio = facts.audio_codec is not None
    bitrate, warnings = peak_bitrate(target, seconds, audio)
    made = (f"the vendor made {facts.width}x{facts.height} at {facts.fps:g} fps, "
            f"{facts.duration_s:.2f} s; re-encoded to {target.id}'s {target.width}x"
            f"{target.height} at {fps} fps, {seconds:g} s")
    track = AudioTrack(data, target.audio.sample_rate, target.audio.bitrate,
                       target.audio.channels) if audio else None
    notes = [made, *warnings]
    with tempfile.TemporaryDirectory(prefix="imagestudio-conform-") as tmp:
        for attempt in range(1, _RETRIES + 2):
            path = Path(tmp) / f"conformed-{attempt}.mp4"
            settings = EncodeSettings(target.width, target.height, fps, frames, bitrate)
            encode(_frames(data, target, fps, frames), settings, path, track)
            size = path.stat().st_size
            if size <= target.max_bytes:
                out = path.read_bytes()
                return Conformed(out, probe(out), tuple(notes))
            bitrate = max(MIN_VIDEO_BITRATE, int(bitrate * target.max_bytes / size * 0.85))
            notes.append(f"re-encoded at {bitrate} bit/s: {size} bytes exceeded "
                         f"{target.id}'s {target.max_bytes}")
    raise InvalidRequest(f"target: the clip stays over {target.id}'s {target.max_bytes} "
                         "bytes", field="target")


def _frames(data: bytes, target: VideoTarget, fps: int, frames: int) -> Iterator[Planes]:
    """``frames`` output frames at ``fps``: at each output time, the last source frame
    shown by then (the first before it starts, the last once it ends), scaled to cover
    the target and centre-cropped; a source frame shown twice is converted once."""
    av = load_av()
    size = (target.width, target.height)
    with av.open(io.BytesIO(data)) as container:
        decoded = _timed(container.decode(video=0))
        current = next(decoded, None)
        if current is None:
            raise InvalidRequest("the vendor's clip has no frames", field="model")
        upcoming = next(decoded, None)
        planes: Planes | None = None
        for index in range(frames):
            t = index / fps
            while upcoming is not None and upcoming[0] <= t + 1e-6:
                current, upcoming, planes = upcoming, next(decoded, None), None
            if planes is None:
                planes = to_planes(ImageOps.fit(current[1].to_image(), size,
                                                Image.Resampling.BILINEAR))
            yield planes


def _timed(frames: Iterator[Any]) -> Iterator[tuple[float, Any]]:
    """Decoded frames with their presentation time in seconds (from the first frame)."""
    start: float | None = None
    for number, frame in enumerate(frames):
        t = float(frame.time) if frame.time is not None else number / 24.0
        start = t if start is None else start
        yield t - start, frame
