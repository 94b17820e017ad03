"""Render a still into a motion clip that meets a video target: the local, free, offline
presets (no AI is involved, and results say so).

Frames are made on a worker thread while the calling thread encodes (Pillow's resampling
and x264 both release the GIL, so two cores both work); a small queue bounds memory.
:func:`conform` checks a request against the target first: a duration over the target's
limit is trimmed with a warning, one under it or a frame rate outside it is refused, and
the peak bitrate is lowered (with a warning) when the target's byte limit needs it. An
output still over the byte limit is re-encoded at a lower bitrate.
"""

from __future__ import annotations

import io
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from imagestudio.catalog.video_targets import VideoTarget
from imagestudio.errors import InvalidRequest
from imagestudio.video.encode import AudioTrack, EncodeSettings, encode
from imagestudio.video.frames import FrameMaker, Timeline, prepare
from imagestudio.video.motion import Motion
from imagestudio.video.planes import Planes, to_rgb

MAX_DURATION_S = 60.0  # local presets: a product limit (a short clip), below most targets'
MIN_VIDEO_BITRATE = 50_000
_BYTES_HEADROOM = 0.92  # container overhead and VBV slack
_RETRIES = 2


@dataclass(frozen=True)
class ClipSpec:
    """What to render; ``duration_s`` and ``fps`` as asked (see :func:`conform`)."""

    target: VideoTarget
    motion: Motion
    duration_s: float
    fps: int | None = None
    headline: str | None = None
    cta: str | None = None
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0
    audio: bytes | None = None
    crf: int = 21
    preset: str = "superfast"


@dataclass(frozen=True)
class Conformed:
    """A request made to fit its target: exact frame count, rate and peak bitrate."""

    fps: int
    frame_count: int
    max_bitrate: int
    warnings: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps


@dataclass(frozen=True)
class RenderStats:
    frames_cpu_s: float
    encode_cpu_s: float
    wall_s: float
    attempts: int


@dataclass(frozen=True)
class Clip:
    """A finished MP4 and its facts; ``ai_generated`` is False for every local preset."""

    data: bytes
    poster: bytes
    width: int
    height: int
    fps: int
    frame_count: int
    duration_s: float
    codec: str
    has_audio: bool
    warnings: tuple[str, ...]
    stats: RenderStats
    ai_generated: bool = field(default=False)


def conform(spec: ClipSpec) -> Conformed:
    """Fit ``spec`` to its target, or raise InvalidRequest naming the field and limit."""
    target, warnings = spec.target, []
    fps = spec.fps or target.fps.default
    if not target.fps.min <= fps <= target.fps.max:
        raise InvalidRequest(
            f"fps: {fps} is outside {target.id}'s {target.fps.min}-{target.fps.max}", field="fps"
        )
    duration = spec.duration_s
    if not 0 < duration <= MAX_DURATION_S:
        raise InvalidRequest(
            f"duration: must be more than 0 and at most {MAX_DURATION_S:g} s", field="duration"
        )
    if duration < target.duration.min_s:
        raise InvalidRequest(
            f"duration: {duration:g} s is under {target.id}'s minimum of "
            f"{target.duration.min_s:g} s", field="duration",
        )
    if duration > target.duration.max_s:
        warnings.append(f"duration trimmed from {duration:g} s to {target.id}'s maximum of "
                        f"{target.duration.max_s:g} s")
        duration = target.duration.max_s
    frames = max(1, round(duration * fps))
    bitrate, lowered = peak_bitrate(target, frames / fps, spec.audio is not None)
    return Conformed(fps, frames, bitrate, (*warnings, *lowered))


def peak_bitrate(target: VideoTarget, seconds: float, audio: bool) -> tuple[int, tuple[str, ...]]:
    """The peak video bitrate a ``seconds`` clip may use to stay under ``target``'s byte
    limit (and its bitrate cap), with a warning when lowered; InvalidRequest naming
    ``duration`` when it cannot fit at all."""
    audio_bits = target.audio.bitrate * seconds if audio else 0.0
    # the VBV buffer (one second at the peak rate) may be spent on top of the rate
    budget = int((target.max_bytes * 8 * _BYTES_HEADROOM - audio_bits) / (seconds + 1))
    if budget < MIN_VIDEO_BITRATE:
        raise InvalidRequest(
            f"duration: {seconds:g} s cannot fit {target.id}'s {target.max_bytes} bytes",
            field="duration",
        )
    if budget < target.max_video_bitrate:
        return budget, (f"peak bitrate lowered to {budget} bit/s to fit {target.id}'s "
                        f"{target.max_bytes} bytes",)
    return target.max_video_bitrate, ()


def render_clip(image: Image.Image, spec: ClipSpec,
                on_frame: Callable[[int, int], None] | None = None) -> Clip:
    """Render ``image`` per ``spec`` (CPU-bound: call it off the event loop).

    ``on_frame(done, total)`` is called from this thread as frames are encoded (every
    tenth frame and the last one).
    """
    started, cpu0 = time.perf_counter(), time.process_time()
    fitted = conform(spec)
    target = spec.target
    timeline = Timeline(
        fitted.frame_count, fitted.fps,
        min(fitted.frame_count, round(spec.fade_in_s * fitted.fps)),
        min(fitted.frame_count, round(spec.fade_out_s * fitted.fps)),
    )
    from imagestudio.video.text import text_layer  # loads the render package (NumPy)

    safe = target.safe_zone
    text = text_layer(target.width, target.height,
                      (safe.top, safe.bottom, safe.left, safe.right), spec.headline, spec.cta)
    source = prepare(image, target.width, target.height, spec.motion.max_zoom)
    maker = FrameMaker(source, target.width, target.height, spec.motion, timeline, text)
    audio = AudioTrack(spec.audio, target.audio.sample_rate, target.audio.bitrate,
                       target.audio.channels) if spec.audio else None
    warnings = list(fitted.warnings)
    bitrate, frames_cpu, attempts = fitted.max_bitrate, 0.0, 0
    with tempfile.TemporaryDirectory(prefix="imagestudio-video-") as tmp:
        while True:
            attempts += 1
            path = Path(tmp) / f"clip-{attempts}.mp4"
            settings = EncodeSettings(target.width, target.height, fitted.fps,
                                      fitted.frame_count, bitrate, spec.crf, spec.preset)
            cpu = _Counter()
            encoded = encode(_counted(_frames(maker, cpu), fitted.frame_count, on_frame),
                             settings, path, audio)
            frames_cpu += cpu.seconds
            size = path.stat().st_size
            if size <= target.max_bytes:
                break
            if attempts > _RETRIES:
                raise InvalidRequest(
                    f"target: the clip is {size} bytes, over {target.id}'s {target.max_bytes}",
                    field="target",
                )
            bitrate = max(MIN_VIDEO_BITRATE, int(bitrate * target.max_bytes / size * 0.85))
            warnings.append(f"re-encoded at {bitrate} bit/s: {size} bytes exceeded "
                            f"{target.id}'s {target.max_bytes}")
        data = path.read_bytes()
    if encoded.audio_source_s is not None and encoded.audio_source_s > fitted.duration_s + 0.01:
        warnings.append(f"audio trimmed to the clip's {fitted.duration_s:g} s")
    elif encoded.audio_s is not None and encoded.audio_source_s is not None \
            and encoded.audio_source_s < fitted.duration_s - 0.01:
        warnings.append(f"audio ends at {encoded.audio_source_s:.2f} s; the rest is silent")
    poster = _poster(maker.frame(fitted.frame_count // 2, fades=False))
    total_cpu = time.process_time() - cpu0
    stats = RenderStats(frames_cpu, max(0.0, total_cpu - frames_cpu),
                        time.perf_counter() - started, attempts)
    return Clip(data, poster, target.width, target.height, fitted.fps, fitted.frame_count,
                fitted.duration_s, "h264", audio is not None, tuple(warnings), stats)


def _poster(planes: Planes) -> bytes:
    buffer = io.BytesIO()
    to_rgb(planes).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _counted(frames: Iterator[Planes], total: int,
             on_frame: Callable[[int, int], None] | None) -> Iterator[Planes]:
    for done, planes in enumerate(frames, 1):
        yield planes
        if on_frame is not None and (done % 10 == 0 or done == total):
            on_frame(done, total)


class _Counter:
    seconds = 0.0


_END = object()


def _frames(maker: FrameMaker, cpu: _Counter) -> Iterator[Planes]:
    """``maker``'s frames in order, made on a worker thread ahead of the consumer."""
    pending: queue.Queue[object] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        began = time.thread_time()
        try:
            for index in range(maker.timeline.frame_count):
                if not put(maker.frame(index)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(exc)
        finally:
            cpu.seconds = time.thread_time() - began
            put(_END)

    worker = threading.Thread(target=work, name="video-frames", daemon=True)
    worker.start()
    try:
        while (item := pending.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Planes)
            yield item
    finally:
        stop.set()
        worker.join()
