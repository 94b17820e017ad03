import io

import pytest
from PIL import Image, ImageStat
from tests.video.conftest import sine_wav

from imagestudio.catalog.video_targets import VideoTarget
from imagestudio.errors import InvalidRequest
from imagestudio.video.motion import DEFAULT_EASE, PRESETS, Motion, Preset
from imagestudio.video.probe import probe
from imagestudio.video.render import ClipSpec, conform, render_clip

av = pytest.importorskip("av")


def _spec(target: VideoTarget, preset: Preset = "zoom-in", **kw: object) -> ClipSpec:
    base: dict[str, object] = {"duration_s": 1.5}
    base.update(kw)
    return ClipSpec(target, Motion(preset, DEFAULT_EASE[preset], (0.7, 0.3)), **base)  # type: ignore[arg-type]


def _frames(data: bytes) -> list[Image.Image]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_image() for f in container.decode(video=0)]


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_renders_the_exact_clip(preset: Preset, small: VideoTarget,
                                             still: Image.Image) -> None:
    clip = render_clip(still, _spec(small, preset, duration_s=1.3, fps=10))
    facts = probe(clip.data)
    assert (facts.width, facts.height) == (160, 288)
    assert facts.frame_count == clip.frame_count == 13
    assert facts.duration_s == pytest.approx(1.3, abs=1e-9)
    assert (facts.codec, facts.pixel_format, facts.audio_codec) == ("h264", "yuv420p", None)
    assert clip.ai_generated is False and clip.warnings == ()
    frames = _frames(clip.data)
    if preset.startswith("pan-") or preset in ("zoom-in", "zoom-out", "push", "ken-burns"):
        # the picture moves: first and last frames differ clearly
        diff = ImageStat.Stat(Image.blend(frames[0], frames[-1], 0.5)).mean
        assert frames[0].tobytes() != frames[-1].tobytes(), diff


def test_a_full_size_reel_frame_count_and_duration(targets: dict[str, VideoTarget],
                                                    still: Image.Image) -> None:
    clip = render_clip(still, _spec(targets["youtube_shorts"], "ken-burns", duration_s=1))
    facts = probe(clip.data)
    assert (facts.width, facts.height, facts.frame_count) == (1080, 1920, 30)
    assert facts.duration_s == pytest.approx(1.0, abs=1e-9)
    assert facts.fps == 30
    assert clip.data.index(b"moov") < clip.data.index(b"mdat")  # +faststart
    assert b"elst" not in clip.data  # no B-frames, so no edit list
    assert Image.open(io.BytesIO(clip.poster)).size == (1080, 1920)


def test_fades_start_and_end_black(small: VideoTarget, still: Image.Image) -> None:
    clip = render_clip(still, _spec(small, duration_s=2, fps=10, fade_in_s=0.5, fade_out_s=0.5))
    frames = _frames(clip.data)
    luma = [ImageStat.Stat(f.convert("L")).mean[0] for f in frames]
    assert luma[0] < 6 and luma[-1] < 6
    assert luma[10] > 60
    assert luma[1] < luma[3] < luma[10]


def test_audio_is_encoded_as_aac_and_cut_to_the_clip(small: VideoTarget,
                                                     still: Image.Image) -> None:
    clip = render_clip(still, _spec(small, duration_s=1.5, fps=10, audio=sine_wav(3.0)))
    facts = probe(clip.data)
    assert facts.audio_codec == "aac" and clip.has_audio
    assert facts.audio_s == pytest.approx(1.5, abs=0.05)
    assert facts.frame_count == 15
    assert any("audio trimmed" in w for w in clip.warnings)


def test_short_audio_is_noted(small: VideoTarget, still: Image.Image) -> None:
    clip = render_clip(still, _spec(small, duration_s=1.5, fps=10, audio=sine_wav(0.5)))
    assert any("audio ends at 0.50 s" in w for w in clip.warnings)


def test_unreadable_audio_is_refused(small: VideoTarget, still: Image.Image) -> None:
    with pytest.raises(InvalidRequest) as info:
        render_clip(still, _spec(small, fps=10, audio=b"not audio at all" * 10))
    assert info.value.field == "audio"


def test_headline_and_cta_stay_inside_the_safe_zone(targets: dict[str, VideoTarget],
                                                    still: Image.Image) -> None:
    from imagestudio.video.text import text_layer
    target = targets["instagram_reel"]
    zone = target.safe_zone
    layer = text_layer(target.width, target.height,
                       (zone.top, zone.bottom, zone.left, zone.right), "Summer sale", "Shop now")
    assert layer is not None
    left, top, right, bottom = zone.box(target.width, target.height)
    x, y = layer.origin
    assert left <= x and top <= y
    assert x + layer.alpha.width <= right + 1 and y + layer.alpha.height <= bottom + 1
    assert text_layer(100, 100, (0.0, 0.0, 0.0, 0.0), None, "") is None


def test_duration_over_the_target_is_trimmed_with_a_warning(
    targets: dict[str, VideoTarget],
) -> None:
    story = targets["instagram_story"].model_copy(
        update={"duration": targets["instagram_story"].duration.model_copy(update={"max_s": 4})}
    )
    fitted = conform(_spec(story, duration_s=6))
    assert fitted.frame_count == 120 and fitted.duration_s == 4
    assert fitted.warnings == ("duration trimmed from 6 s to instagram_story's maximum of 4 s",)


@pytest.mark.parametrize(("kw", "field", "message"), [
    ({"duration_s": 2}, "duration", "duration: 2 s is under instagram_reel's minimum of 3 s"),
    ({"duration_s": 61}, "duration", "duration: must be more than 0 and at most 60 s"),
    ({"fps": 90}, "fps", "fps: 90 is outside instagram_reel's 23-60"),
])
def test_bad_requests_name_the_field_and_limit(
    targets: dict[str, VideoTarget], kw: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidRequest) as info:
        conform(_spec(targets["instagram_reel"], **kw))
    assert info.value.field == field and info.value.message == message


def test_byte_limit_lowers_the_bitrate_and_is_met(small: VideoTarget) -> None:
    noise = Image.merge("RGB", [Image.effect_noise((640, 480), 90 + 10 * i) for i in range(3)])
    loose = render_clip(noise, _spec(small, "pan-right", duration_s=2, fps=10, crf=10))
    assert len(loose.data) > 150_000  # what the clip weighs unconstrained
    tight = small.model_copy(update={"max_bytes": 60_000})
    clip = render_clip(noise, _spec(tight, "pan-right", duration_s=2, fps=10, crf=10))
    assert len(clip.data) <= 60_000
    assert any("peak bitrate lowered" in w for w in clip.warnings)
    assert probe(clip.data).frame_count == 20


def test_a_byte_limit_too_small_for_any_bitrate_is_refused(small: VideoTarget) -> None:
    with pytest.raises(InvalidRequest) as info:
        conform(_spec(small.model_copy(update={"max_bytes": 10_000}), duration_s=2, fps=10))
    assert info.value.message == "duration: 2 s cannot fit small's 10000 bytes"
