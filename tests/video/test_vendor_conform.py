"""A vendor's clip conformed to its video target: exact size, a frame rate the target
takes, the asked length inside the target's limits, its soundtrack kept; a clip that
already matches is kept byte for byte."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest

from imagestudio.catalog.video_targets import VideoTarget
from imagestudio.emulators.veo import sample_mp4
from imagestudio.video.probe import probe
from imagestudio.video.vendor import clip_of
from imagestudio.video.vendor_conform import conform_vendor_clip

av = pytest.importorskip("av")


def _clip(width: int, height: int, fps: int, frames: int, *, audio: bool = False) -> bytes:
    """An H.264 MP4 as a vendor might send: its own size and rate, optionally AAC audio."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=48000, layout="stereo") if audio else None
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(16 + index * 7) % 235]) * plane.buffer_size)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if sound is not None:
            import numpy as np

            samples = round(48000 * frames / fps)
            for start in range(0, samples, 1024):
                n = min(1024, samples - start)
                chunk = av.AudioFrame.from_ndarray(
                    np.full((2, n), 0.1, dtype=np.float32), format="fltp", layout="stereo")
                chunk.sample_rate, chunk.pts = 48000, start
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return buffer.getvalue()


def test_the_emulators_clip_becomes_the_targets_size_and_the_asked_length(
    small: VideoTarget,
) -> None:
    data = sample_mp4()  # what the Veo and WAN emulators deliver: 64x112, 24 fps, 0.5 s
    assert (probe(data).width, probe(data).height) == (64, 112)
    clip = clip_of(data, small, 2.0)
    facts = probe(clip.data)
    assert (facts.width, facts.height) == (160, 288)  # exact
    assert facts.fps == 24 and facts.frame_count == 48  # the vendor's rate (5-60 takes it)
    assert facts.duration_s == pytest.approx(2.0, abs=0.01)
    assert (facts.codec, facts.pixel_format) == ("h264", "yuv420p")
    assert (clip.width, clip.height, clip.frame_count) == (160, 288, 48)
    assert clip.warnings[0] == ("the vendor made 64x112 at 24 fps, 0.50 s; re-encoded to "
                                "small's 160x288 at 24 fps, 2 s")


def test_a_rate_outside_the_target_becomes_its_default_and_the_sound_is_kept(
    small: VideoTarget,
) -> None:
    data = _clip(96, 54, 3, 6, audio=True)  # 3 fps, landscape, 2 s with sound
    conformed = conform_vendor_clip(data, small, 2.0)
    facts = conformed.facts
    assert (facts.width, facts.height, facts.frame_count) == (160, 288, 20)
    assert round(facts.fps) == 10  # the container's average rate counts the AAC priming
    assert facts.audio_codec == "aac"
    assert facts.audio_s == pytest.approx(2.0, abs=0.05)


def test_a_clip_over_the_targets_maximum_is_trimmed(small: VideoTarget) -> None:
    short = small.model_copy(update={"duration": small.duration.model_copy(
        update={"max_s": 1.0})})
    conformed = conform_vendor_clip(_clip(160, 288, 10, 30), short, 3.0)
    assert conformed.facts.frame_count == 10 and conformed.facts.fps == 10


def test_a_clip_that_already_matches_is_kept_byte_for_byte(small: VideoTarget) -> None:
    data = _clip(160, 288, 10, 20)
    conformed = conform_vendor_clip(data, small, 2.0)
    assert conformed.data == data and conformed.warnings == ()
