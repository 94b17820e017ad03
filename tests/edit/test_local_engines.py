"""Both local edit engines (Pillow, libvips) pass the same tests: the same size and mode
for every operation, pixels within a few levels of each other, and each operation doing
what it says (a blur smooths, a sharpen lifts detail and keeps alpha)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from imagestudio.edit.engine import LocalEditEngine, local_edit_engine
from imagestudio.edit.local import PillowEdits, expanded_size, reduction
from imagestudio.edit.schemas import EditRequest

ENGINES = ("pillow", "vips")
CASES: list[dict[str, object]] = [
    {"op": "crop", "x": 10, "y": 20, "width": 100, "height": 50},
    {"op": "rotate", "degrees": 90},
    {"op": "rotate", "degrees": 12.5},
    {"op": "rotate", "degrees": -30},
    {"op": "flip", "direction": "horizontal"},
    {"op": "resize", "width": 128},
    {"op": "adjust", "brightness": 1.1, "contrast": 1.2, "saturation": 0.8, "warmth": 0.4},
    {"op": "sharpen", "amount": 1.5},
    {"op": "blur", "radius": 2},
    {"op": "blur", "radius": 15},
    {"op": "background", "colour": "#336699"},
    {"op": "background", "radius": 12},
]


def photo(width: int = 320, height: int = 240) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([100 + 80 * np.sin(x / 9), 60 + 0.5 * x, 220 - 0.6 * y], axis=-1)
    noisy = base + np.random.default_rng(5).normal(0, 10, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def cut_out(image: Image.Image) -> Image.Image:
    cut = image.convert("RGBA")
    alpha = Image.new("L", image.size, 0)
    alpha.paste(255, (80, 60, 240, 180))
    cut.putalpha(alpha)
    return cut


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> LocalEditEngine:
    return local_edit_engine(request.param)


def test_auto_is_libvips_where_it_loads_and_pillow_on_request() -> None:
    assert local_edit_engine().name == "vips"  # the vips extra is a dev dependency
    assert local_edit_engine("pillow").name == "pillow"


@pytest.mark.parametrize("fields", CASES, ids=lambda f: "-".join(map(str, f.values())))
def test_every_operation_gives_the_reference_size_mode_and_nearly_its_pixels(
    engine: LocalEditEngine, fields: dict[str, object],
) -> None:
    request = EditRequest.model_validate(fields)
    source = cut_out(photo()) if request.op == "background" else photo()
    before = source.copy()
    got = engine.apply(request.op, source, request)
    want = PillowEdits().apply(request.op, source, request)
    assert (got.size, got.mode) == (want.size, want.mode)
    assert pixels(source).tolist() == pixels(before).tolist()  # the source is untouched
    difference = np.abs(pixels(got) - pixels(want))
    # libvips' true Gaussian vs Pillow's box approximation; bilinear vs bicubic rotation
    # (this photo's stripes and noise are a hard case for both)
    assert difference.mean() < (2.0 if request.op == "rotate" else 1.0), fields
    assert np.percentile(difference, 99) <= 16, fields


def test_exact_rotations_flips_and_crops_are_lossless(engine: LocalEditEngine) -> None:
    source = photo()
    rotated = engine.apply("rotate", source, EditRequest(op="rotate", degrees=270))
    assert pixels(rotated).tolist() == pixels(
        source.transpose(Image.Transpose.ROTATE_270)).tolist()
    flipped = engine.apply("flip", source, EditRequest(op="flip", direction="vertical"))
    assert pixels(flipped)[0].tolist() == pixels(source)[-1].tolist()


def test_a_free_rotation_grows_the_canvas_with_transparent_corners(
    engine: LocalEditEngine,
) -> None:
    rotated = engine.apply("rotate", photo(), EditRequest(op="rotate", degrees=30))
    assert rotated.mode == "RGBA" and rotated.size == (398, 368)
    alpha = pixels(rotated.getchannel("A"))
    assert alpha[0, 0] == alpha[-1, -1] == 0 and alpha[184, 199] == 255
    # counter-clockwise: the source's top-right corner moves up to the top edge
    marked = photo()
    marked.paste((255, 0, 0), (300, 0, 320, 20))
    turned = pixels(engine.apply("rotate", marked, EditRequest(op="rotate", degrees=30)))
    red = np.argwhere((turned[..., 0] > 230) & (turned[..., 1] < 40) & (turned[..., 3] > 0))
    assert red[:, 0].mean() < 40 and red[:, 1].mean() > 250


def test_blur_smooths_and_sharpen_lifts_detail_keeping_alpha(engine: LocalEditEngine) -> None:
    def detail(image: Image.Image) -> float:
        return float(np.diff(pixels(image.convert("RGB")), axis=1).std())

    source = cut_out(photo())
    blurred = engine.apply("blur", source.convert("RGB"), EditRequest(op="blur", radius=2))
    assert detail(blurred) < detail(source) / 2
    sharpened = engine.apply("sharpen", source, EditRequest(op="sharpen", amount=2))
    assert sharpened.mode == "RGBA"
    assert pixels(sharpened.getchannel("A")).tolist() == pixels(
        source.getchannel("A")).tolist()
    assert detail(sharpened) > detail(source) * 1.5


def test_a_wide_blur_on_a_reduced_copy_matches_the_full_size_one() -> None:
    from PIL import ImageFilter

    assert reduction(2) == 1 and reduction(12) == 4 and reduction(100) == 16
    source = photo(512, 384)
    for radius in (6.0, 12.0, 40.0):
        reduced = PillowEdits().blur(source, radius)
        full = source.filter(ImageFilter.GaussianBlur(radius))
        # away from the edges, where each blur extends the border its own way
        margin = int(2 * radius)
        inner = np.abs(pixels(reduced) - pixels(full))[margin:-margin, margin:-margin]
        assert inner.mean() < 1.5 and inner.max() <= 8, radius


@pytest.mark.parametrize("size", [(320, 240), (2048, 2048), (1, 7), (999, 17)])
@pytest.mark.parametrize("degrees", [12.5, 30, -30, 45, 100.25, 359.9])
def test_the_rotated_canvas_is_pillows(size: tuple[int, int], degrees: float) -> None:
    grown = Image.new("L", size).rotate(degrees, expand=True).size
    assert expanded_size(*size, degrees) == grown
