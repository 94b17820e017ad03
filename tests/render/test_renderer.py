from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageChops

from imagestudio.render import DraftRenderer
from imagestudio.render import overlay as overlay_module
from imagestudio.render.overlay import label_band, layout_headline, printable, safe_box

STORY_SAFE_ZONE = (0.14, 0.20, 0.06, 0.06)


@pytest.fixture(scope="module")
def renderer() -> DraftRenderer:
    return DraftRenderer()


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def _changed_box(a: Image.Image, b: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.difference(a, b).getbbox()


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return (
        inner[0] >= outer[0]
        and inner[1] >= outer[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


@pytest.mark.parametrize(
    ("width", "height"), [(1080, 1080), (1080, 1920), (1128, 191), (1200, 628), (17, 300), (1, 1)]
)
def test_renders_exact_rgb_size(renderer, width, height):
    image = renderer.render("coffee shop", 1, width, height)
    assert image.mode == "RGB"
    assert image.size == (width, height)


def test_same_inputs_give_identical_pixels(renderer):
    kwargs = {"overlay_text": "Grand opening Saturday", "safe_zone": STORY_SAFE_ZONE}
    first = renderer.render("sunset beach bar", 42, 540, 960, **kwargs)
    second = DraftRenderer().render("sunset beach bar", 42, 540, 960, **kwargs)
    assert first.tobytes() == second.tobytes()


def test_threads_render_the_same_pixels_as_one_thread(renderer):
    jobs = [("coffee shop", seed, "Grand opening" if seed % 2 else None) for seed in range(8)]
    serial = [renderer.render(p, s, 360, 240, overlay_text=t).tobytes() for p, s, t in jobs]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda j: renderer.render(j[0], j[1], 360, 240,
                                                           overlay_text=j[2]).tobytes(), jobs))
    assert parallel == serial


def test_different_seeds_look_different(renderer):
    a = renderer.render("Modern coffee shop interior, cozy atmosphere", 1, 540, 540)
    b = renderer.render("Modern coffee shop interior, cozy atmosphere", 2, 540, 540)
    assert np.abs(_pixels(a) - _pixels(b)).mean() > 8


def test_different_prompts_look_different(renderer):
    a = renderer.render("deep blue ocean", 1, 540, 540)
    b = renderer.render("autumn forest hike", 1, 540, 540)
    assert np.abs(_pixels(a) - _pixels(b)).mean() > 8


def test_seed_zero_and_negative_seeds_work(renderer):
    zero = renderer.render("x", 0, 64, 64)
    negative = renderer.render("x", -1, 64, 64)
    assert zero.tobytes() != negative.tobytes()


def test_image_is_neither_flat_nor_noise(renderer):
    pixels = _pixels(renderer.render("quarterly report", 3, 540, 540))
    assert pixels.std() > 12
    neighbour_step = np.abs(np.diff(pixels, axis=1)).mean()
    assert neighbour_step < 6


@pytest.mark.parametrize(
    ("prompt", "dominant"), [("deep blue ocean", 2), ("red sunset", 0), ("green forest", 1)]
)
def test_colour_words_dominate_the_image(renderer, prompt, dominant):
    means = _pixels(renderer.render(prompt, 5, 270, 270)).reshape(-1, 3).mean(axis=0)
    assert int(np.argmax(means)) == dominant


@pytest.mark.parametrize(
    ("width", "height", "safe_zone", "text"),
    [
        (1080, 1080, None, "Grand opening Saturday"),
        (1080, 1920, STORY_SAFE_ZONE, "Grand opening Saturday"),
        (1128, 191, (0.1, 0.1, 0.05, 0.3), "Build faster with AI"),
        (1200, 628, (0.0, 0.25, 0.1, 0.1), "A very long headline " * 12),
        (300, 300, (0.3, 0.3, 0.3, 0.3), "Supercalifragilisticexpialidocious"),
    ],
)
def test_overlay_lands_inside_the_safe_zone(renderer, width, height, safe_zone, text):
    plain = renderer.render("summer sale", 9, width, height, safe_zone=safe_zone)
    titled = renderer.render(
        "summer sale", 9, width, height, overlay_text=text, safe_zone=safe_zone
    )
    changed = _changed_box(plain, titled)
    if changed is not None:
        assert _inside(changed, safe_box(width, height, safe_zone))
    else:
        assert layout_headline(text, safe_box(width, height, safe_zone), width, height) is None


def test_overlay_is_drawn_when_it_fits(renderer):
    plain = renderer.render("summer sale", 9, 1080, 1080)
    titled = renderer.render("summer sale", 9, 1080, 1080, overlay_text="Hello")
    assert _changed_box(plain, titled) is not None


def test_blank_overlay_is_ignored(renderer):
    plain = renderer.render("summer sale", 9, 200, 200)
    assert (
        renderer.render("summer sale", 9, 200, 200, overlay_text="  ").tobytes() == plain.tobytes()
    )


def test_label_sits_in_the_bottom_right_band(renderer):
    labelled = renderer.render("minimal", 4, 1080, 1080)
    bare = DraftRenderer(label=False).render("minimal", 4, 1080, 1080)
    changed = _changed_box(bare, labelled)
    band = label_band(1080, 1080)
    assert changed is not None
    assert changed[1] >= 1080 - band and changed[0] > 540


def test_headline_keeps_clear_of_the_label_band():
    box = (0, 0, 1080, 1080)
    headline = layout_headline("Grand opening Saturday " * 6, box, 1080, 1080)
    assert headline is not None
    band = label_band(1080, 1080)
    assert _inside(headline.panel, (band, band, 1080 - band, 1080 - band))


def test_headline_grows_to_fill_a_roomy_box():
    small = layout_headline("Sale", (0, 0, 400, 400), 400, 400)
    large = layout_headline("Sale", (0, 0, 1600, 1600), 1600, 1600)
    assert small is not None and large is not None
    assert large.size > 2 * small.size


def test_printable_maps_text_onto_the_bundled_font():
    assert printable("Café  —  30% off…") == "Cafe - 30% off…"
    assert printable("☕☕") == ""


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, -1), (9000, 10)])
def test_rejects_bad_sizes(renderer, width, height):
    with pytest.raises(ValueError, match="size"):
        renderer.render("x", 1, width, height)


@pytest.mark.parametrize("zone", [(0.5, 0, 0, 0), (0.1, 0.1, 0.1), (-0.1, 0, 0, 0)])
def test_rejects_bad_safe_zones(renderer, zone):
    with pytest.raises(ValueError, match="safe_zone"):
        renderer.render("x", 1, 100, 100, safe_zone=zone)


def test_requires_freetype(monkeypatch):
    monkeypatch.setattr(overlay_module.features, "check_module", lambda name: False)
    with pytest.raises(RuntimeError, match="FreeType"):
        DraftRenderer()
