"""H.264 MP4 encoding with PyAV (the optional ``[video]`` extra; its wheels ship libx264
and FFmpeg's AAC encoder).

The file is what platforms ask for: H.264 High, ``yuv420p`` limited range with the
BT.601 matrix declared, no B-frames and no edit list, closed GOPs of one second, the
``moov`` atom first (``+faststart``, written to a real file: the muxer rewrites it), the
peak bitrate capped (VBV, a one-second buffer) at what the target allows. An optional audio track
is decoded from any format FFmpeg reads, resampled and encoded as AAC, and cut to the
clip's exact length.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagestudio.errors import InvalidRequest, VideoUnavailable
from imagestudio.video.planes import Planes

if TYPE_CHECKING:
    import av

AAC_FRAME = 1024
_MUXER = {"movflags": "+faststart", "use_editlist": "0"}
_COLOUR = "colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m"


def load_av() -> Any:
    """The ``av`` module, or :class:`VideoUnavailable` naming the extra to install."""
    try:
        import av
    except ImportError as exc:
        raise VideoUnavailable(
            "video needs PyAV: install the [video] extra (pip install 'imagestudio[video]')"
        ) from exc
    return av


@dataclass(frozen=True)
class AudioTrack:
    """A user's audio file and how to encode it."""

    data: bytes
    sample_rate: int
    bitrate: int
    channels: int


@dataclass(frozen=True)
class EncodeSettings:
    width: int
    height: int
    fps: int
    frame_count: int
    max_bitrate: int
    crf: int = 21
    preset: str = "superfast"

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


class _AudioFeed:
    """Decodes the user's track lazily and encodes exactly ``duration`` of it."""

    def __init__(self, av: Any, out: Any, track: AudioTrack, duration_s: float) -> None:
        try:
            self._input = av.open(io.BytesIO(track.data))
        except (av.error.FFmpegError, ValueError) as exc:
            raise InvalidRequest("audio: not a readable audio file", field="audio") from exc
        if not self._input.streams.audio:
            self._input.close()
            raise InvalidRequest("audio: the file has no audio stream", field="audio")
        layout = "stereo" if track.channels == 2 else "mono"
        self._stream = out.add_stream("aac", rate=track.sample_rate, layout=layout)
        self._stream.bit_rate = track.bitrate
        self._rate = track.sample_rate
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=track.sample_rate)
        self._fifo = av.AudioFifo()
        self._decoded = self._decode()
        self._total = round(duration_s * track.sample_rate)
        self._written = 0
        self.source_s = 0.0

    def _decode(self) -> Iterator[Any]:
        try:
            for frame in self._input.decode(audio=0):
                self.source_s += frame.samples / frame.sample_rate
                yield from self._resampler.resample(frame)
            yield from self._resampler.resample(None)
        except Exception as exc:  # noqa: BLE001 - any decoder error is the file's fault
            raise InvalidRequest("audio: the file could not be decoded", field="audio") from exc

    def until(self, seconds: float, out: Any) -> None:
        """Encode whole AAC frames up to ``seconds`` (never past the clip's length)."""
        goal = min(self._total, round(seconds * self._rate))
        while self._written + AAC_FRAME <= goal:
            if not self._fill(AAC_FRAME):
                return
            self._emit(self._fifo.read(AAC_FRAME), out)

    def finish(self, out: Any) -> None:
        self.until(self._total / self._rate, out)
        rest = self._total - self._written
        if rest > 0 and self._fill(rest):
            self._emit(self._fifo.read(rest), out)
        elif rest > 0 and self._fifo.samples:
            self._emit(self._fifo.read(), out)
        for packet in self._stream.encode(None):
            out.mux(packet)
        self._input.close()

    def _fill(self, samples: int) -> bool:
        while self._fifo.samples < samples:
            frame = next(self._decoded, None)
            if frame is None:
                return False
            frame.pts = None
            self._fifo.write(frame)
        return True

    def _emit(self, frame: Any, out: Any) -> None:
        frame.pts = self._written
        frame.time_base = Fraction(1, self._rate)
        self._written += frame.samples
        for packet in self._stream.encode(frame):
            out.mux(packet)

    @property
    def written_s(self) -> float:
        return self._written / self._rate


@dataclass(frozen=True)
class Encoded:
    path: Path
    audio_s: float | None
    """Seconds of audio in the file (None: silent)."""
    audio_source_s: float | None
    """Seconds the user's track had, as far as it was read (None: silent)."""


def encode(frames: Iterable[Planes], settings: EncodeSettings, path: Path,
           audio: AudioTrack | None = None) -> Encoded:
    """Encode ``frames`` (exactly ``settings.frame_count`` of them) to ``path``."""
    av = load_av()
    out = av.open(str(path), "w", format="mp4", options=_MUXER)
    try:
        stream = _video_stream(out, settings)
        feed = _AudioFeed(av, out, audio, settings.duration_s) if audio else None
        count = 0
        for planes in frames:
            frame = _frame(av, planes, settings, count)
            for packet in stream.encode(frame):
                out.mux(packet)
            count += 1
            if feed is not None:
                feed.until(count / settings.fps, out)
        for packet in stream.encode(None):
            out.mux(packet)
        if feed is not None:
            feed.finish(out)
    finally:
        out.close()
    if count != settings.frame_count:
        raise RuntimeError(f"encoded {count} frames, expected {settings.frame_count}")
    return Encoded(path, feed.written_s if feed else None, feed.source_s if feed else None)


def _video_stream(out: Any, settings: EncodeSettings) -> av.VideoStream:
    stream = out.add_stream("libx264", rate=settings.fps, options={
        "preset": settings.preset,
        "crf": str(settings.crf),
        "maxrate": str(settings.max_bitrate),
        "bufsize": str(settings.max_bitrate),  # one second: short clips cannot burst much
        "bf": "0",
        "g": str(settings.fps),
        "x264-params": f"{_COLOUR}:range=tv:open-gop=0",
    })
    stream.width, stream.height = settings.width, settings.height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, settings.fps)
    return stream  # type: ignore[no-any-return]


def _frame(av: Any, planes: Planes, settings: EncodeSettings, index: int) -> Any:
    frame = av.VideoFrame(settings.width, settings.height, "yuv420p")
    for plane, image in zip(frame.planes, (planes.y, planes.u, planes.v), strict=True):
        plane.update(image.tobytes("raw", "L", plane.line_size))
    frame.pts = index
    frame.time_base = Fraction(1, settings.fps)
    return frame
