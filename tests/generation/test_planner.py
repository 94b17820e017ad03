import random

import pytest

from imagestudio.catalog import load_catalog
from imagestudio.errors import InvalidRequest
from imagestudio.generation.planner import GenerationPlan, build_plan
from imagestudio.generation.schemas import CreateRequest

CATALOG = load_catalog()
ALL = {"local", "stability", "wavespeed", "huggingface", "gemini", "openai"}


def plan(available: set[str] = ALL, **fields: object) -> GenerationPlan:
    fields.setdefault("prompt", "Modern coffee shop interior, cozy atmosphere")
    request = CreateRequest(**fields)  # type: ignore[arg-type]
    return build_plan(CATALOG, request, available, random.Random(7))


def test_no_keys_falls_back_to_offline_renderer_with_warning() -> None:
    result = plan({"local"}, template_id="instagram_feed_square", quality="premium")
    assert result.primary.model.id == "local/draft-renderer"
    assert result.quote.total.micros == 0
    assert any("offline draft renderer" in w for w in result.warnings)


def test_explicit_provider_and_short_model_name_resolve_exactly() -> None:
    result = plan(provider="wavespeed", model="ideogram-v3-turbo", width=1080, height=1080)
    assert result.primary.model.id == "wavespeed/ideogram-v3-turbo"
    assert len(result.chain) == 1


def test_explicit_model_wins_over_tier() -> None:
    result = plan(model="stability/core", quality="premium")
    assert result.primary.model.id == "stability/core"


@pytest.mark.parametrize("name", ["ultra-x", "ideogram", "stability/ultr"])
def test_unknown_or_partial_model_name_is_an_error(name: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        plan(model=name)
    assert info.value.field == "model"


def test_model_of_another_provider_is_an_error() -> None:
    with pytest.raises(InvalidRequest) as info:
        plan(provider="openai", model="ultra")
    assert info.value.field == "model"


def test_unknown_provider_and_template_and_style_name_their_fields() -> None:
    for fields, field in (
        ({"provider": "ideogram"}, "provider"),
        ({"template_id": "nope"}, "template_id"),
        ({"style_preset": "watercolor"}, "style_preset"),
    ):
        with pytest.raises(InvalidRequest) as info:
            plan(**fields)
        assert info.value.field == field


def test_auto_picks_closest_native_ratio() -> None:
    story = plan(template_id="instagram_story", quality="standard")
    assert (
        story.primary.size.aspect_ratio == "9:16"
        or story.primary.size.height > story.primary.size.width
    )
    wide = plan(
        template_id="linkedin_cover", quality="draft", available={"local", "openai", "wavespeed"}
    )
    assert wide.primary.model.id == "wavespeed/qwen-image"


def test_explicit_standard_quality_is_not_overridden_by_template() -> None:
    result = plan(template_id="instagram_feed_square", quality="standard")
    assert result.quality == "standard"
    assert plan(template_id="instagram_feed_square").quality == "premium"


def test_seeds_are_consecutive_and_zero_is_a_real_seed() -> None:
    result = plan({"local"}, seed=0, num_variations=3)
    assert result.seeds == (0, 1, 2)


def test_random_seed_is_drawn_and_reported() -> None:
    result = plan({"local"}, num_variations=2)
    assert result.seeds[1] == result.seeds[0] + 1


def test_unsupported_parameters_warn_and_are_not_sent() -> None:
    result = plan(
        model="wavespeed/ideogram-v3-turbo",
        negative_prompt="blurry",
        seed=5,
        steps=30,
        guidance_scale=7.0,
    )
    text = " ".join(result.warnings)
    for name in ("negative_prompt", "seed", "steps", "guidance_scale"):
        assert name in text
    request = result.primary.provider_request(result.prompt, 5, "png")
    assert (request.negative_prompt, request.seed, request.steps, request.guidance) == (None,) * 4


def test_supported_parameters_are_sent() -> None:
    result = plan(model="stability/sd3.5-large", negative_prompt="blurry", seed=5, guidance_scale=5)
    request = result.primary.provider_request(result.prompt, 5, "png")
    assert (request.negative_prompt, request.seed, request.guidance) == ("blurry", 5, 5)
    assert not any("negative_prompt" in w for w in result.warnings)


def test_out_of_range_guidance_is_clamped_with_warning() -> None:
    result = plan(model="stability/sd3.5-large", guidance_scale=25)
    assert result.primary.guidance == 10
    assert any("guidance_scale 25" in w for w in result.warnings)


def test_style_suffix_enhances_prompt_and_is_returned() -> None:
    result = plan({"local"}, style_preset="photographic")
    assert result.enhanced_prompt is not None
    assert result.enhanced_prompt.startswith("Modern coffee shop interior, cozy atmosphere, ")
    assert "natural lighting" in result.enhanced_prompt
    off = plan({"local"}, style_preset="photographic", enhance_prompt=False)
    assert off.enhanced_prompt is None and off.prompt == off.request.prompt


def test_style_without_enhancement_on_styleless_model_warns() -> None:
    result = plan(model="openai/gpt-image-1", style_preset="anime", enhance_prompt=False)
    assert any("style_preset anime was not applied" in w for w in result.warnings)


def test_quote_totals_and_fallbacks_never_pricier() -> None:
    result = plan(template_id="instagram_feed_square", quality="premium", num_variations=3)
    quote = result.quote
    assert quote.total.micros == 3 * result.primary.per_image_micros
    assert quote.fallbacks == [p.model.id for p in result.chain[1:]]
    assert quote.fallbacks, "premium has cheaper same-tier fallbacks"
    assert all(p.per_image_micros <= result.primary.per_image_micros for p in result.chain)


def test_openai_price_follows_quality_and_size() -> None:
    low = plan(model="openai/gpt-image-1", quality="draft", width=1024, height=1024)
    high = plan(model="openai/gpt-image-1", quality="premium", width=1024, height=1536)
    assert low.quote.per_image.micros == 11_000
    assert high.quote.per_image.micros == 250_000
    assert high.primary.vendor_quality == "high"


def test_crop_warning_for_sizes_the_model_cannot_produce() -> None:
    result = plan(model="stability/ultra", template_id="linkedin_cover")
    assert any("cropped away" in w for w in result.warnings)


def test_prompt_longer_than_model_limit_is_rejected() -> None:
    long_prompt = "word " * 210
    with pytest.raises(InvalidRequest) as info:
        plan(model="huggingface/flux-schnell", prompt=long_prompt)
    assert info.value.field == "prompt"
