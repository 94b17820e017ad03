"""What an MP4 holds, read back with PyAV: the facts the library records and tests check."""

from __future__ import annotations

import io
from dataclasses import dataclass

from imagestudio.video.encode import load_av


@dataclass(frozen=True)
class VideoFacts:
    width: int
    height: int
    frame_count: int
    duration_s: float
    fps: float
    codec: str
    pixel_format: str
    audio_codec: str | None
    audio_s: float | None


def probe(data: bytes, *, count_frames: bool = True) -> VideoFacts:
    """Open ``data`` as a container; ``count_frames`` decodes every frame to count them
    (the header's count is not trusted)."""
    av = load_av()
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        duration = float(video.duration * video.time_base) if video.duration else 0.0
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_s = (
            float(audio.duration * audio.time_base) if audio is not None and audio.duration
            else None
        )
        facts = dict(
            width=video.codec_context.width,
            height=video.codec_context.height,
            fps=float(video.average_rate or 0),
            codec=video.codec_context.name,
            pixel_format=video.codec_context.pix_fmt or "",
            audio_codec=audio.codec_context.name if audio is not None else None,
        )
        frames = video.frames
        if count_frames:
            frames = sum(1 for _ in container.decode(video=0))
    return VideoFacts(frame_count=frames, duration_s=duration, audio_s=audio_s, **facts)
