import shutil
import sys
from pathlib import Path

import pytest
import yaml

from imagestudio.catalog import load_catalog
from imagestudio.catalog.loader import DATA_DIR, CatalogError
from imagestudio.catalog.video_targets import VideoTarget
from imagestudio.errors import VideoUnavailable
from imagestudio.video.encode import load_av

SIZES = {
    "instagram_reel": (1080, 1920), "instagram_story": (1080, 1920), "tiktok": (1080, 1920),
    "youtube_shorts": (1080, 1920), "youtube": (1920, 1080),
    "instagram_feed_square": (1080, 1080), "instagram_feed_portrait": (1080, 1350),
    "linkedin_square": (1080, 1080), "linkedin_portrait": (1080, 1350),
}


def test_the_catalog_has_every_video_target(targets: dict[str, VideoTarget]) -> None:
    assert {t: (v.width, v.height) for t, v in targets.items()} == SIZES
    for target in targets.values():
        assert target.video_codec == "h264" and target.pixel_format == "yuv420p"
        assert target.duration.min_s <= 60 <= target.duration.max_s or target.id.endswith("story")
        assert target.max_bytes > 0 and target.max_video_bitrate > 0
    catalog = load_catalog()
    assert catalog.find_video_target("Reels") == targets["instagram_reel"]
    assert catalog.find_video_target("reel_cover") is None


def _broken(tmp_path: Path, change: dict[str, object]) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "video_targets.yaml"
    items = yaml.safe_load(path.read_text())
    items[0].update(change)
    path.write_text(yaml.safe_dump(items))
    return data


@pytest.mark.parametrize(("change", "message"), [
    ({"width": 1081}, "multiple of 2"),
    ({"platform": "myspace"}, "unknown platform 'myspace'"),
    ({"fps": {"min": 30, "max": 24, "default": 30}}, "min <= default <= max"),
    ({"aliases": ["shorts"]}, "video target name 'shorts' is ambiguous"),
])
def test_bad_video_target_data_is_refused_at_load(tmp_path: Path, change: dict[str, object],
                                                  message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_catalog(_broken(tmp_path, change))


def test_without_pyav_video_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # what an install without the extra sees
    with pytest.raises(VideoUnavailable, match=r"install the \[video\] extra"):
        load_av()


def test_per_second_prices_round_up_to_a_whole_micro_unit() -> None:
    from imagestudio.catalog.video_targets import VideoModel, resolution_of

    model = VideoModel.model_validate({
        "id": "gemini/veo-x", "provider": "gemini", "name": "x", "description": "x",
        "ai_model": True, "per_second_micros": {"720p": 400_000, "1080p": 400_000},
        "vendor_model": "veo-x", "confirmed": False, "source": "test", "verified_on": "2026-12-03",
    })
    assert model.price_micros("720p", 37, 24) == 616_667  # 37/24 s × $0.40, rounded up
    assert model.price_micros("1080p", 240, 30) == 3_200_000
    assert model.price_micros("4k", 240, 30) is None
    assert [resolution_of(*s) for s in ((1280, 720), (1080, 1920), (3840, 2160))] == [
        "720p", "1080p", "4k"]
    local = load_catalog().video_models["local/motion-presets"]
    assert local.ai_model is False and local.price_micros("1080p", 180, 30) == 0


def test_an_ai_video_model_names_its_vendor_model_and_prices_every_tier_it_makes() -> None:
    from pydantic import ValidationError

    from imagestudio.catalog.video_targets import VideoModel

    with pytest.raises(ValidationError, match="vendor_model"):
        VideoModel.model_validate({
            "id": "gemini/veo-x", "provider": "gemini", "name": "x", "description": "x",
            "ai_model": True, "per_second_micros": {"720p": 1}, "confirmed": False,
            "source": "test", "verified_on": "2026-12-03",
        })
    models = load_catalog().video_models
    veo, wan = models["gemini/veo-3.1-generate-preview"], models["wavespeed/wan-2.6-i2v"]
    assert veo.price_micros("1080p", 8, 1) == 3_200_000 and veo.durations_s == (4, 6, 8)
    assert wan.price_micros("720p", 5, 1) == 500_000  # $0.50 for 5 s (WaveSpeed's table)
    assert wan.price_micros("1080p", 15, 1) == 2_250_000 and wan.needs_image
