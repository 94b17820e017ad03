import pytest

from imagestudio.catalog import load_catalog
from imagestudio.catalog.schemas import (
    AspectRatioSizing,
    DimensionSizing,
    FixedSizing,
    RatioTierSizing,
)
from imagestudio.errors import InvalidRequest
from imagestudio.generation.schemas import CreateRequest
from imagestudio.generation.sizing import Target, plan_size, resolve_target

CATALOG = load_catalog()


def target_of(**fields: object) -> Target:
    request = CreateRequest(prompt="p", **fields)  # type: ignore[arg-type]
    template = CATALOG.templates.get(request.template_id or "")
    return resolve_target(CATALOG, request, template)


def test_template_gives_exact_size_and_safe_zone() -> None:
    target = target_of(template_id="linkedin_cover")
    assert (target.width, target.height) == (1128, 191)
    assert target.safe_zone is not None


def test_explicit_size_wins_over_template_and_drops_its_safe_zone() -> None:
    target = target_of(template_id="instagram_story", width=800, height=800)
    assert (target.width, target.height, target.safe_zone) == (800, 800, None)


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("16:9", (1920, 1080)),
        ("9:16", (1080, 1920)),
        ("1.91:1", (1200, 630)),
        ("≈21:9", (2560, 1080)),
        ("5:7", (1080, 1512)),
    ],
)
def test_ratio_alone_uses_preset_or_1080_short_side(ratio: str, size: tuple[int, int]) -> None:
    target = target_of(aspect_ratio=ratio)
    assert (target.width, target.height) == size


def test_decimal_ratio_with_width_computes_height() -> None:
    target = target_of(aspect_ratio="1.91:1", width=1146)
    assert (target.width, target.height) == (1146, 600)


def test_ratio_conflicting_with_both_sides_is_rejected() -> None:
    with pytest.raises(InvalidRequest) as info:
        target_of(aspect_ratio="16:9", width=1000, height=1000)
    assert info.value.field == "aspect_ratio"


def test_garbage_ratio_names_the_field() -> None:
    with pytest.raises(InvalidRequest) as info:
        target_of(aspect_ratio="wide")
    assert info.value.field == "aspect_ratio"


def test_computed_side_out_of_bounds_is_rejected() -> None:
    with pytest.raises(InvalidRequest) as info:
        target_of(aspect_ratio="16:1", height=400)
    assert info.value.field == "width"


def test_default_is_square() -> None:
    assert (target_of().width, target_of().height) == (1024, 1024)


def test_ratio_enum_picks_nearest_ratio() -> None:
    sizing = AspectRatioSizing(mode="aspect_ratio", ratios=["1:1", "16:9", "21:9"], megapixels=1.0)
    size = plan_size(sizing, Target(1200, 628, None))
    assert size.aspect_ratio == "16:9"
    assert size.width > size.height


def test_dimension_mode_clamps_extreme_ratio_to_min_side() -> None:
    sizing = DimensionSizing(
        mode="dimensions",
        min_side=256,
        max_side=1536,
        step=16,
        max_pixels=1536 * 1536,
        preferred_pixels=1024 * 1024,
    )
    size = plan_size(sizing, Target(1128, 191, None))
    assert size.width <= 1536 and size.height == 256
    assert size.width % 16 == 0


def test_dimension_mode_respects_max_pixels() -> None:
    sizing = DimensionSizing(
        mode="dimensions",
        min_side=64,
        max_side=4096,
        step=8,
        max_pixels=1_000_000,
        preferred_pixels=1_000_000,
    )
    size = plan_size(sizing, Target(2560, 1440, None))
    assert size.width * size.height <= 1_000_000
    assert abs(size.width / size.height - 16 / 9) < 0.02


def test_fixed_sizes_pick_closest_ratio() -> None:
    sizing = FixedSizing(mode="fixed", sizes=["1024x1024", "1536x1024", "1024x1536"])
    assert (plan_size(sizing, Target(1000, 1500, None)).width,) == (1024,)
    assert plan_size(sizing, Target(1200, 628, None)).width == 1536


def test_ratio_tier_picks_smallest_tier_covering_target() -> None:
    sizing = RatioTierSizing(
        mode="aspect_ratio_and_tier",
        ratios=["1:1", "16:9"],
        tiers={"1K": 1024, "2K": 2048},
        default_tier="1K",
    )
    size = plan_size(sizing, Target(1920, 1080, None))
    assert (size.aspect_ratio, size.tier, size.width) == ("16:9", "2K", 2048)
    assert plan_size(sizing, Target(800, 800, None)).tier == "1K"
