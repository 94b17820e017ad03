"""One suite for both rendition engines (libvips and the Pillow fallback)."""

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from imagestudio.catalog.loader import load_catalog
from imagestudio.imaging import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.engines import rendition_engine
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.imaging.renditions import (
    Encoding,
    RenderOptions,
    RenditionSpec,
    meet_budget,
    render_set,
)
from imagestudio.optimize.targets import load_rules, select_targets, spec_for

MAX_PIXELS = 40_000_000
ENGINES = ["pillow", "vips"]
_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    return rendition_engine(request.param)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def pool():
    with ThreadPoolExecutor(2) as executor:
        yield executor


def _photo(width: int, height: int, seed: int = 7, noise: float = 8.0) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x, y = x / width, y / height
    img = np.stack([120 + 80 * np.sin(6 * x + 2 * y), 40 + 180 * x, 200 - 150 * y], axis=-1)
    img = img + np.random.default_rng(seed).normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _subject_image(width: int, height: int, centre: tuple[float, float], radius: int) -> bytes:
    """A calm grey-blue backdrop with one strong subject: a red disc with a white ring."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    img[...] = (150, 160, 170)
    img[..., 2] += 20 * y / height
    d = np.hypot(x - centre[0] * width, y - centre[1] * height)
    img[d < radius] = (220, 30, 30)
    img[(d >= radius) & (d < radius * 1.15)] = (250, 250, 250)
    return _jpeg(img.astype(np.uint8))


@pytest.mark.parametrize("size", [(2048, 2048), (4000, 3000)])
def test_every_template_at_exact_pixels_under_its_byte_limit(engine, catalog, pool, size):
    targets = select_targets(catalog, all_templates=True)
    assert len(targets) == len(catalog.templates) == 29
    specs = [spec_for(t, load_rules(), alpha=False) for t in targets]
    source = engine.load(_jpeg(_photo(*size)), max_pixels=MAX_PIXELS)
    out = render_set(engine, source, specs, RenderOptions(), pool)
    assert [r.key for r in out] == [t.template.id for t in targets]
    for target, rendition in zip(targets, out, strict=True):
        with Image.open(io.BytesIO(rendition.data)) as image:
            assert image.size == (target.template.width, target.template.height), rendition.key
            assert _FORMATS[image.format] == rendition.fmt
        assert rendition.fmt in target.platform.file_types.value
        assert rendition.size <= target.platform.max_file_bytes.value, rendition.key
        assert rendition.within_limit


def test_the_quality_search_finds_the_highest_quality_that_fits(engine):
    noisy = _photo(1200, 600, noise=60.0)
    source = engine.load(_jpeg(noisy, 98), max_pixels=MAX_PIXELS)
    spec = RenditionSpec("email", 1200, 600, "jpeg", quality=90, quality_floor=30,
                         subsampling="4:4:4", max_bytes=150_000)
    pixels = engine.resample(source, spec, (0, 0, 1200, 600), None)
    data, enc, ok = meet_budget(lambda e: engine.encode(pixels, e, None), spec, "jpeg")
    assert ok and len(data) <= 150_000
    assert enc.quality < 90
    assert enc.optimize  # Huffman optimisation is tried before any quality is given up
    above = engine.encode(
        pixels, Encoding("jpeg", enc.quality + 1, enc.subsampling, optimize=True), None)
    assert len(above) > 150_000  # the search stopped at the highest quality that fits


def test_over_the_limit_at_the_floor_is_reported_not_hidden(engine):
    source = engine.load(_jpeg(_photo(800, 800, noise=70.0), 98), max_pixels=MAX_PIXELS)
    spec = RenditionSpec("tiny", 800, 800, "jpeg", quality=85, quality_floor=80,
                         max_bytes=10_000)
    [out] = render_set(engine, source, [spec], RenderOptions(strategy="centre"))
    assert not out.within_limit and out.quality == 80 and out.subsampling == "4:2:0"
    assert any("quality floor 80" in w for w in out.warnings)


def test_saliency_keeps_the_subject_in_the_crop_and_the_safe_zone(engine, catalog):
    data = _subject_image(2400, 1200, centre=(0.82, 0.45), radius=110)
    source = engine.load(data, max_pixels=MAX_PIXELS)
    story = next(t for t in select_targets(catalog, templates=["instagram_story"]))
    spec = spec_for(story, load_rules(), alpha=False)
    [smart] = render_set(engine, source, [spec], RenderOptions(strategy="attention"))
    [centred] = render_set(engine, source, [spec], RenderOptions(strategy="centre"))
    left, top, right, bottom = smart.crop
    subject_x0, subject_x1 = 0.82 * 2400 - 127, 0.82 * 2400 + 127
    assert left <= subject_x0 and subject_x1 <= right
    assert smart.subject_in_safe_zone and not smart.warnings
    # the centre crop cuts it off: the test can tell the two apart
    assert centred.crop[2] < subject_x1
    # and the subject really is in the output: red pixels inside the safe band
    with Image.open(io.BytesIO(smart.data)) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    ys, xs = np.nonzero(red)
    assert len(xs) > 1000
    zone = story.template.safe_zone
    assert xs.min() >= zone.left * 1080 and xs.max() <= 1080 * (1 - zone.right)
    assert ys.min() >= zone.top * 1920 and ys.max() <= 1920 * (1 - zone.bottom)


def test_entropy_strategy_also_finds_the_subject(engine):
    data = _subject_image(2400, 1200, centre=(0.2, 0.5), radius=120)
    source = engine.load(data, max_pixels=MAX_PIXELS)
    spec = RenditionSpec("sq", 600, 600, "jpeg")
    [out] = render_set(engine, source, [spec], RenderOptions(strategy="entropy"))
    assert out.crop[0] <= 0.2 * 2400 - 138 and out.crop[2] >= 0.2 * 2400 + 138


def test_a_subject_too_big_for_the_safe_zone_warns(engine):
    data = _subject_image(1200, 1200, centre=(0.5, 0.5), radius=330)
    source = engine.load(data, max_pixels=MAX_PIXELS)
    spec = RenditionSpec("banner", 1500, 500, "jpeg", safe_zone=(0.2, 0.2, 0.1, 0.1))
    [out] = render_set(engine, source, [spec], RenderOptions())
    assert out.subject_in_safe_zone is False
    assert out.warnings and "safe zone" in out.warnings[0]


def test_an_image_without_a_distinct_subject_gets_no_safe_zone_verdict(engine):
    y, x = np.mgrid[0:900, 0:1200]
    texture = np.stack([x % 256, y % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    source = engine.load(_jpeg(texture), max_pixels=MAX_PIXELS)
    spec = RenditionSpec("banner", 1500, 500, "jpeg", safe_zone=(0.2, 0.2, 0.1, 0.1))
    [out] = render_set(engine, source, [spec], RenderOptions())
    assert out.subject_in_safe_zone is None and not out.warnings


@pytest.mark.parametrize(("focal", "edge"), [((0.05, 0.5), "left"), ((0.95, 0.5), "right"),
                                             ((0.4, 0.5), "centred")])
def test_the_focal_point_is_honoured(engine, focal, edge):
    source = engine.load(_jpeg(_photo(2000, 1000)), max_pixels=MAX_PIXELS)
    spec = RenditionSpec("sq", 500, 500, "jpeg")
    [out] = render_set(engine, source, [spec], RenderOptions(focal=focal))
    left, _, right, _ = out.crop
    if edge == "left":
        assert left == 0
    elif edge == "right":
        assert right == 2000
    else:
        assert (left + right) / 2 == pytest.approx(800, abs=1)


def test_pad_with_a_solid_colour_shows_the_whole_image(engine):
    source = engine.load(_jpeg(_photo(1000, 1000)), max_pixels=MAX_PIXELS)
    spec = RenditionSpec("wide", 1500, 500, "png", fit="pad", background=(0, 200, 0))
    [out] = render_set(engine, source, [spec], RenderOptions())
    with Image.open(io.BytesIO(out.data)) as image:
        assert image.size == (1500, 500)
        assert image.getpixel((10, 250)) == (0, 200, 0)
        assert image.getpixel((1490, 250)) == (0, 200, 0)
        assert image.getpixel((750, 250)) != (0, 200, 0)


def test_pad_with_blur_fills_the_bars_from_the_image(engine):
    source = engine.load(_jpeg(_photo(1000, 1000)), max_pixels=MAX_PIXELS)
    spec = RenditionSpec("wide", 1500, 500, "jpeg", fit="pad")
    [out] = render_set(engine, source, [spec], RenderOptions())
    with Image.open(io.BytesIO(out.data)) as image:
        assert image.size == (1500, 500)
        bar = np.asarray(image.crop((0, 0, 400, 500))).astype(float)
    assert bar.std() > 5  # not a flat colour


def test_transparency_becomes_png_where_the_platform_takes_it(engine, catalog):
    rgba = np.zeros((800, 800, 4), np.uint8)
    rgba[200:600, 200:600] = (200, 40, 40, 255)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    source = engine.load(buffer.getvalue(), max_pixels=MAX_PIXELS)
    assert source.has_alpha
    targets = select_targets(catalog, templates=["instagram_feed_square", "blog_header"])
    specs = [spec_for(t, load_rules(), alpha=True) for t in targets]
    square, blog = render_set(engine, source, specs, RenderOptions())
    assert square.fmt == "png" and blog.fmt == "webp"
    with Image.open(io.BytesIO(square.data)) as image:
        assert image.mode == "RGBA" and image.getpixel((5, 5))[3] == 0


def test_metadata_kept_or_stripped_per_rule(engine, catalog):
    source = engine.load(_jpeg(_photo(1200, 800)), max_pixels=MAX_PIXELS)
    targets = select_targets(catalog, templates=["blog_header", "email_banner"])
    provenance = {"source_asset": "a1", "operation": "optimize"}
    specs = [spec_for(t, load_rules(), alpha=False, provenance=provenance) for t in targets]
    blog, email = render_set(engine, source, specs, RenderOptions())
    reader = PillowEngine(reuse_buffers=False)
    assert reader.read_metadata(blog.data) == {**provenance, "template": "blog_header"}
    assert reader.read_metadata(email.data) is None
    with Image.open(io.BytesIO(email.data)) as image:
        assert not image.getexif() and "icc_profile" not in image.info


def test_identical_targets_are_rendered_once_but_reported_each(engine, catalog, pool):
    source = engine.load(_jpeg(_photo(1000, 1000)), max_pixels=MAX_PIXELS)
    targets = select_targets(catalog, templates=["instagram_story", "facebook_story"])
    specs = [spec_for(t, load_rules(), alpha=False) for t in targets]
    ig, fb = render_set(engine, source, specs, RenderOptions(), pool)
    assert (ig.key, fb.key) == ("instagram_story", "facebook_story")
    assert ig.crop == fb.crop


def test_upscale_gives_the_exact_size(engine):
    source = engine.load(_jpeg(_photo(256, 192)), max_pixels=MAX_PIXELS)
    pixels = engine.upscale(source, 1024, 768, sharpen=True)
    data = engine.encode(pixels, Encoding("jpeg", 90), None)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1024, 768)


def test_bad_input_is_refused(engine):
    with pytest.raises(ImageDecodeError):
        engine.load(b"not an image at all", max_pixels=MAX_PIXELS)
    whole = _jpeg(_photo(400, 400))
    with pytest.raises(ImageDecodeError):
        engine.load(whole[: len(whole) // 2], max_pixels=MAX_PIXELS)
    with pytest.raises(ImageTooLarge):
        engine.load(whole, max_pixels=400 * 400 - 1)


def test_auto_picks_the_measured_faster_engine_per_purpose():
    assert rendition_engine("auto").name == "pillow"
    assert rendition_engine("auto", "upscale").name == "vips"
