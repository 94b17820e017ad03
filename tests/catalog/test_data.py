import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from imagestudio.catalog import Catalog, load_catalog
from imagestudio.catalog.loader import DATA_DIR, CatalogError
from imagestudio.catalog.ratios import STANDARD_RATIOS, label_for
from imagestudio.catalog.schemas import (
    FixedSizing,
    QualitySizePrice,
    RatioTierSizing,
    TierPrice,
)

PLATFORMS = {
    "instagram",
    "facebook",
    "twitter",
    "linkedin",
    "youtube",
    "pinterest",
    "tiktok",
    "blog",
    "email",
    "website",
}
ALWRITY_TEMPLATES = {
    "instagram_feed_square",
    "instagram_feed_portrait",
    "instagram_story",
    "instagram_reel_cover",
    "facebook_feed",
    "facebook_feed_square",
    "facebook_story",
    "facebook_cover",
    "twitter_post",
    "twitter_card",
    "twitter_header",
    "linkedin_post",
    "linkedin_post_square",
    "linkedin_article",
    "linkedin_cover",
    "youtube_thumbnail",
    "youtube_channel_art",
    "pinterest_pin",
    "pinterest_story",
    "tiktok_video_cover",
    "blog_header",
    "blog_header_wide",
    "email_banner",
    "email_product",
    "website_hero",
    "website_banner",
}
STYLE_ORDER = [
    "enhance",
    "anime",
    "photographic",
    "digital-art",
    "comic-book",
    "fantasy-art",
    "line-art",
    "analog-film",
    "neon-punk",
    "isometric",
    "low-poly",
    "origami",
    "modeling-compound",
    "cinematic",
    "3d-model",
    "pixel-art",
    "tile-texture",
]
ALWRITY_SUFFIXES = {
    "photographic": (
        ", professional photography, high quality, detailed, sharp focus, natural lighting"
    ),
    "digital-art": ", digital art, vibrant colors, detailed, high quality, artstation trending",
    "cinematic": ", cinematic lighting, dramatic, film grain, high quality, professional",
    "3d-model": ", 3D render, octane render, unreal engine, high quality, detailed",
    "anime": ", anime style, vibrant colors, detailed, high quality",
    "line-art": ", clean line art, detailed linework, high contrast, professional",
}
PRESETS = [
    ("Square", 1080, 1080),
    ("Portrait", 1080, 1350),
    ("Story/Reel", 1080, 1920),
    ("Landscape", 1920, 1080),
    ("Ultra Wide", 2560, 1080),
    ("Twitter Card", 1200, 600),
    ("Twitter Header", 1500, 500),
    ("Facebook Feed", 1200, 630),
    ("LinkedIn Feed", 1200, 628),
    ("LinkedIn Article", 1200, 627),
    ("LinkedIn Cover", 1128, 191),
    ("Pinterest Pin", 1000, 1500),
    ("YouTube Thumbnail", 1280, 720),
    ("Facebook Cover", 820, 312),
]
# Decimal megabytes (see the convention comment in platforms.yaml).
MAX_BYTES = {
    "instagram": 8_000_000,
    "facebook": 10_000_000,
    "twitter": 5_000_000,
    "linkedin": 5_000_000,
    "youtube": 2_000_000,
    "pinterest": 20_000_000,
    "tiktok": 10_000_000,
    "blog": 500_000,
    "email": 200_000,
    "website": 500_000,
}
STANDARD = dict(STANDARD_RATIOS)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def label_deviation(label: str, value: float) -> tuple[float, float]:
    """(relative deviation of ``label`` from ``value``, the tolerance its form allows)."""
    name = label.removeprefix("≈")
    if name in STANDARD:
        target, tolerance = STANDARD[name], (0.02 if label.startswith("≈") else 0.005)
    else:
        match = re.fullmatch(r"≈(\d+\.\d\d):1|≈1:(\d+\.\d\d)", label)
        assert match, f"unexpected label form {label!r}"
        target = float(match[1]) if match[1] else 1 / float(match[2])
        tolerance = 0.005
    return abs(value - target) / target, tolerance


# ---- shape and counts -----------------------------------------------------------------


def test_exactly_ten_platforms(catalog):
    assert set(catalog.platforms) == PLATFORMS


def test_at_least_27_templates_including_alwritys_26_and_ig_landscape(catalog):
    assert len(catalog.templates) >= 27
    assert set(catalog.templates) >= ALWRITY_TEMPLATES
    assert "instagram_feed_landscape" in catalog.templates


def test_every_platform_has_a_template(catalog):
    assert {t.platform for t in catalog.templates.values()} == PLATFORMS


def test_every_category_is_used(catalog):
    used = {t.category for t in catalog.templates.values()}
    assert {"ad_creative", "product", "social_media", "blog_content"} <= used
    assert catalog.templates["email_product"].category == "product"


# ---- ratio labels -----------------------------------------------------------------------


def test_every_template_label_matches_its_pixels(catalog):
    for t in catalog.templates.values():
        assert t.aspect_ratio == label_for(t.width, t.height).label
        deviation, tolerance = label_deviation(t.aspect_ratio, t.width / t.height)
        assert deviation <= tolerance, f"{t.id}: {t.aspect_ratio} vs {t.width}x{t.height}"


def test_every_format_and_preset_label_is_within_tolerance(catalog):
    sized = [f for p in catalog.platforms.values() for f in p.formats]
    for item in [*sized, *catalog.aspect_ratios]:
        deviation, tolerance = label_deviation(item.ratio.label, item.width / item.height)
        assert deviation <= tolerance, f"{item.id}: {item.ratio.label}"


def test_label_checker_catches_a_wrong_label():
    assert label_deviation("2:1", 1200 / 627)[0] > 0.005
    assert label_deviation("≈16:9", 820 / 312)[0] > 0.02
    assert label_deviation("≈5.91:1", 1128 / 191)[0] < 0.005


@pytest.mark.parametrize(
    ("template_id", "label", "exact"),
    [
        ("blog_header_wide", "≈21:9", "64:27"),
        ("website_hero", "≈21:9", "64:27"),
        ("facebook_feed", "≈1.91:1", "40:21"),
        ("linkedin_post", "≈1.91:1", "300:157"),
        ("linkedin_article", "≈1.91:1", "400:209"),
        ("linkedin_cover", "≈5.91:1", "1128:191"),
        ("facebook_cover", "≈2.63:1", "205:78"),
        ("instagram_feed_landscape", "≈1.91:1", "540:283"),
    ],
)
def test_corrected_labels(catalog, template_id, label, exact):
    template = catalog.templates[template_id]
    assert (template.aspect_ratio, template.aspect_ratio_exact) == (label, exact)


@pytest.mark.parametrize(
    ("template_id", "size"),
    [
        ("twitter_post", (1200, 675)),
        ("youtube_channel_art", (2560, 1440)),
        ("instagram_feed_landscape", (1080, 566)),
        ("email_banner", (1200, 600)),
        ("linkedin_cover", (1128, 191)),
        ("facebook_cover", (820, 312)),
    ],
)
def test_corrected_sizes(catalog, template_id, size):
    template = catalog.templates[template_id]
    assert (template.width, template.height) == size


def test_templates_take_size_and_safe_zone_from_their_format(catalog):
    for t in catalog.templates.values():
        fmt = catalog.platforms[t.platform].format(t.format)
        assert fmt is not None
        assert (t.width, t.height, t.safe_zone) == (fmt.width, fmt.height, fmt.safe_zone)


# ---- platforms --------------------------------------------------------------------------


def test_platform_facts_are_sourced_and_dated(catalog):
    latest = max(dt.date.today(), dt.date(2026, 11, 25))
    for platform in catalog.platforms.values():
        sourced = [platform.file_types, platform.max_file_bytes]
        for fmt in platform.formats:
            sourced += [fmt, fmt.safe_zone]
        for fact in sourced:
            assert fact.source.strip(), platform.id
            assert dt.date(2026, 1, 1) <= fact.verified_on <= latest, platform.id


def test_max_file_bytes_use_decimal_megabytes(catalog):
    assert {p.id: p.max_file_bytes.value for p in catalog.platforms.values()} == MAX_BYTES


def test_file_types(catalog):
    types = {p.id: set(p.file_types.value) for p in catalog.platforms.values()}
    assert types["twitter"] == {"jpeg", "png", "gif", "webp"}
    assert types["instagram"] == {"jpeg", "png"}
    assert "webp" not in types["email"]


def test_house_defaults_are_marked_internal(catalog):
    for platform_id in ("blog", "email", "website"):
        platform = catalog.platforms[platform_id]
        assert "internal" in platform.max_file_bytes.source
        assert all("internal" in f.safe_zone.source for f in platform.formats)


def test_safe_zones_leave_room(catalog):
    for platform in catalog.platforms.values():
        for fmt in platform.formats:
            left, top, right, bottom = fmt.safe_zone.box(fmt.width, fmt.height)
            assert 0 <= left < right <= fmt.width and 0 <= top < bottom <= fmt.height


def test_twitter_is_reachable_as_x(catalog):
    assert catalog.find_platform("x") is catalog.platforms["twitter"]
    assert catalog.find_platform("X") is catalog.platforms["twitter"]


# ---- presets and styles -------------------------------------------------------------------


def test_fourteen_presets_in_order(catalog):
    assert [(p.name, p.width, p.height) for p in catalog.aspect_ratios] == PRESETS
    assert len({p.id for p in catalog.aspect_ratios}) == 14


def test_preset_file_stores_no_labels():
    items = yaml.safe_load((DATA_DIR / "aspect_ratios.yaml").read_text(encoding="utf-8"))
    assert all(set(item) == {"id", "name", "width", "height"} for item in items)


def test_seventeen_styles_in_vendor_order_with_alwritys_suffixes(catalog):
    assert list(catalog.styles) == STYLE_ORDER
    for style_id, suffix in ALWRITY_SUFFIXES.items():
        assert catalog.styles[style_id].suffix == suffix
    suffixes = [s.suffix for s in catalog.styles.values()]
    assert len(set(suffixes)) == 17
    assert all(s.startswith(", ") for s in suffixes)


# ---- models, prices, tiers ----------------------------------------------------------------


def test_every_model_has_a_known_provider_and_an_integer_price(catalog):
    for model in catalog.models.values():
        assert model.provider in catalog.providers
        rule = model.pricing.rule
        if isinstance(rule, QualitySizePrice):
            prices = [v for row in rule.table.values() for v in row.values()]
        elif isinstance(rule, TierPrice):
            prices = list(rule.table.values())
        elif rule.kind == "per_image":
            prices = [rule.micros]
        else:
            assert not model.ai_model, f"{model.id}: only the offline renderer is free"
            prices = [0]
        assert all(type(p) is int and p >= 0 for p in prices), model.id
        if model.ai_model:
            assert all(p > 0 for p in prices), model.id


def test_prices_are_sourced_and_dated(catalog):
    latest = max(dt.date.today(), dt.date(2026, 11, 25))
    for model in catalog.models.values():
        assert model.pricing.source.strip(), model.id
        assert dt.date(2026, 1, 1) <= model.pricing.verified_on <= latest, model.id


def test_unconfirmed_prices_explain_themselves(catalog):
    for model in catalog.models.values():
        if not model.pricing.confirmed:
            assert model.notes.strip(), model.id


def test_every_provider_has_a_model(catalog):
    assert {m.provider for m in catalog.models.values()} == set(catalog.providers)


def test_price_tables_cover_what_the_model_can_be_asked_for(catalog):
    for model in catalog.models.values():
        rule, sizing = model.pricing.rule, model.sizing
        if isinstance(rule, QualitySizePrice):
            assert isinstance(sizing, FixedSizing) and model.quality_levels
            assert set(rule.table) == set(model.quality_levels.values())
            assert all(set(row) == set(sizing.sizes) for row in rule.table.values())
        if isinstance(rule, TierPrice):
            assert isinstance(sizing, RatioTierSizing)
            assert set(rule.table) == set(sizing.tiers)


@pytest.mark.parametrize(
    ("model_id", "micros"),
    [
        ("stability/ultra", 80_000),
        ("stability/core", 30_000),
        ("stability/sd3.5-large", 65_000),
        ("stability/sd3.5-large-turbo", 40_000),
        ("stability/sd3.5-medium", 35_000),
        ("stability/sd3.5-flash", 25_000),
        ("gemini/gemini-2.5-flash-image", 39_000),
    ],
)
def test_per_image_prices(catalog, model_id, micros):
    rule = catalog.models[model_id].pricing.rule
    assert rule.kind == "per_image" and rule.micros == micros


def test_gpt_image_1_price_table(catalog):
    rule = catalog.models["openai/gpt-image-1"].pricing.rule
    assert isinstance(rule, QualitySizePrice)
    assert rule.table["low"]["1024x1024"] == 11_000
    assert rule.table["medium"]["1536x1024"] == 63_000
    assert rule.table["high"]["1024x1536"] == 250_000


def test_seeds_are_declared_only_where_supported(catalog):
    for model in catalog.models.values():
        assert model.params.seed == (model.seed is not None), model.id
    no_seed = ("openai/gpt-image-1", "wavespeed/ideogram-v3-turbo", "gemini/gemini-3-pro-image")
    for model_id in no_seed:
        assert catalog.models[model_id].seed is None
    assert catalog.models["stability/ultra"].seed.zero_means_random


def test_offline_renderer(catalog):
    local = catalog.models["local/draft-renderer"]
    assert not local.ai_model and local.pricing.rule.kind == "free"
    assert catalog.providers["local"].offline
    assert "not an AI model" in catalog.providers["local"].name
    assert [m.id for m in catalog.models.values() if not m.ai_model] == ["local/draft-renderer"]


def test_tiers_name_real_live_ai_models(catalog):
    assert list(catalog.tiers) == ["draft", "standard", "premium"]
    for tier in catalog.tiers.values():
        assert len(tier.candidates) == len(set(tier.candidates))
        for model_id in tier.candidates:
            model = catalog.models[model_id]
            assert model.ai_model and not model.deprecated, model_id


def test_templates_recommend_real_live_models_and_styles(catalog):
    for t in catalog.templates.values():
        assert t.style_preset in catalog.styles
        for model_id in t.recommended_models:
            model = catalog.models[model_id]
            assert model.ai_model and not model.deprecated, (t.id, model_id)


def test_aliases_are_unique_and_never_shadow_another_model(catalog):
    owners: dict[str, str] = {}
    for model in catalog.models.values():
        for name in {model.id, model.provider_model_id, *model.aliases}:
            assert owners.setdefault(name, model.id) == model.id, name


@pytest.mark.parametrize(
    ("name", "provider", "model_id"),
    [
        ("ideogram-v3-turbo", None, "wavespeed/ideogram-v3-turbo"),
        ("ideogram-ai/ideogram-v3-turbo", None, "wavespeed/ideogram-v3-turbo"),
        ("ideogram-v3-turbo", "wavespeed", "wavespeed/ideogram-v3-turbo"),
        ("black-forest-labs/FLUX.1-schnell", None, "huggingface/flux-schnell"),
        ("gpt-image-1", "openai", "openai/gpt-image-1"),
        ("ultra", None, "stability/ultra"),
        ("local", None, "local/draft-renderer"),
    ],
)
def test_find_model_by_any_exact_name(catalog, name, provider, model_id):
    model = catalog.find_model(name, provider=provider)
    assert model is not None and model.id == model_id


def test_find_model_never_guesses(catalog):
    assert catalog.find_model("ideogram") is None
    assert catalog.find_model("FLUX.1-schnell") is None
    assert catalog.find_model("gpt-image-1", provider="stability") is None


# ---- broken data is refused ---------------------------------------------------------------


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _first_model(models: list[dict[str, Any]], model_id: str) -> dict[str, Any]:
    return next(m for m in models if m["id"] == model_id)


# name → (file, change, what the error must mention)
BREAKAGES: dict[str, tuple[str, Callable[[Any], None], str]] = {
    "template names an unknown model": (
        "templates/twitter.yaml",
        lambda d: d[0].update(recommended_models=["wavespeed/ideogram-v9"]),
        "unknown model 'wavespeed/ideogram-v9'",
    ),
    "template names an unknown format": (
        "templates/twitter.yaml",
        lambda d: d[0].update(format="carousel"),
        "no format",
    ),
    "template names an unknown platform": (
        "templates/twitter.yaml",
        lambda d: d[0].update(platform="myspace"),
        "unknown platform",
    ),
    "template names an unknown style": (
        "templates/twitter.yaml",
        lambda d: d[0].update(style_preset="vaporwave"),
        "unknown style",
    ),
    "duplicate template id": (
        "templates/twitter.yaml",
        lambda d: d.append(dict(d[0])),
        "duplicate template id",
    ),
    "tier names an unknown model": (
        "quality_tiers.yaml",
        lambda d: d["draft"]["candidates"].append("openai/dall-e-3"),
        "tier draft: unknown model",
    ),
    "tier missing": ("quality_tiers.yaml", lambda d: d.pop("premium"), "quality tiers"),
    "model of an unknown provider": (
        "models.yaml",
        lambda d: _first_model(d, "stability/core").update(provider="stabilty"),
        "unknown provider",
    ),
    "alias clashes with another model": (
        "models.yaml",
        lambda d: _first_model(d, "stability/core").update(aliases=["core", "gpt-image-1"]),
        "'gpt-image-1' is used by both",
    ),
    "float price": (
        "models.yaml",
        lambda d: _first_model(d, "stability/core")["pricing"]["rule"].update(micros=0.03),
        "valid integer",
    ),
    "tier price missing a size tier": (
        "models.yaml",
        lambda d: _first_model(d, "gemini/gemini-3-pro-image")["pricing"]["rule"]["table"].pop(
            "4K"
        ),
        "per_tier prices",
    ),
    "quality price missing a size": (
        "models.yaml",
        lambda d: _first_model(d, "openai/gpt-image-1")["pricing"]["rule"]["table"]["low"].pop(
            "1536x1024"
        ),
        "per_quality_size prices",
    ),
    "seed range without seed support": (
        "models.yaml",
        lambda d: _first_model(d, "wavespeed/qwen-image")["params"].update(seed=False),
        "params.seed and the seed range",
    ),
    "default tier that does not exist": (
        "models.yaml",
        lambda d: _first_model(d, "gemini/gemini-3-pro-image")["sizing"].update(default_tier="8K"),
        "default_tier",
    ),
    "duplicate format id": (
        "platforms.yaml",
        lambda d: d[0]["formats"].append(dict(d[0]["formats"][0])),
        "duplicate instagram format id",
    ),
    "ambiguous platform alias": (
        "platforms.yaml",
        lambda d: d[0].update(aliases=["x"]),
        "'x' is ambiguous",
    ),
    "format without a source": (
        "platforms.yaml",
        lambda d: d[0]["formats"][0].pop("source"),
        "source",
    ),
    "safe zone covering half the image": (
        "platforms.yaml",
        lambda d: d[0]["formats"][0]["safe_zone"].update(top=0.5),
        "less than 0.5",
    ),
}


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_a_copy_of_the_shipped_data_loads(data_copy):
    assert set(load_catalog(data_copy).templates) == set(load_catalog().templates)


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_broken_data_raises_catalog_error(data_copy, breakage):
    relative, change, message = BREAKAGES[breakage]
    _edit(data_copy / relative, change)
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_catalog(data_copy)


def test_invalid_yaml_and_missing_files_raise_catalog_error(data_copy):
    (data_copy / "styles.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="styles.yaml"):
        load_catalog(data_copy)
    (data_copy / "styles.yaml").unlink()
    with pytest.raises(CatalogError, match="styles.yaml"):
        load_catalog(data_copy)
