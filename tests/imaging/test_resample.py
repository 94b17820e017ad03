import threading

import numpy as np
import pytest
from PIL import Image

from imagestudio.imaging.resample import resize


def _photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Smooth structure plus fine detail: a gradient, a disc and a little noise."""
    ys, xs = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(7)
    base = np.stack([xs / width * 255, ys / height * 255, ((xs - width / 2) ** 2 + (ys - height
                     / 2) ** 2 < (min(width, height) / 3) ** 2) * 200.0], axis=-1)
    noisy = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(noisy, "RGB")
    return image if mode == "RGB" else image.convert(mode)


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM of the luma over 8x8 windows (the usual constants)."""
    x = np.asarray(a.convert("L"), np.float64)
    y = np.asarray(b.convert("L"), np.float64)
    h, w = (x.shape[0] // 8) * 8, (x.shape[1] // 8) * 8
    blocks = [v[:h, :w].reshape(h // 8, 8, w // 8, 8).swapaxes(1, 2) for v in (x, y)]
    mx, my = (v.mean(axis=(2, 3)) for v in blocks)
    vx, vy = (v.var(axis=(2, 3)) for v in blocks)
    cov = ((blocks[0] - mx[..., None, None]) * (blocks[1] - my[..., None, None])).mean(axis=(2, 3))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return float((((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
                 .mean())


@pytest.mark.parametrize(
    ("source", "size"),
    [((1024, 1024), (1080, 1080)), ((2048, 2048), (1080, 1080)), ((1344, 768), (1200, 628)),
     ((300, 200), (7, 3))],
)
@pytest.mark.parametrize(
    ("ours", "pillows"),
    [("lanczos3", Image.Resampling.LANCZOS), ("catmull_rom", Image.Resampling.BICUBIC)],
)
def test_matches_pillows_filter(source, size, ours, pillows):
    image = _photo(*source)
    out = resize(image, size, filter=ours)
    reference = image.resize(size, pillows)
    assert out.size == size and out.mode == "RGB"
    diff = np.abs(np.asarray(out, np.int16) - np.asarray(reference, np.int16))
    assert diff.mean() < 1.0
    if min(size) >= 16:
        assert ssim(out, reference) > 0.99


def test_box_selects_the_source_region_like_pillow():
    image = _photo(1344, 768)
    box = (288.5, 0.0, 1056.5, 768.0)
    out = resize(image, (1080, 1080), box=box)
    reference = image.resize((1080, 1080), Image.Resampling.LANCZOS, box=box)
    assert ssim(out, reference) > 0.99


def test_alpha_matches_pillow():
    image = _photo(400, 300, "RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    out = np.asarray(resize(image, (160, 90)), np.float64)
    reference = np.asarray(image.resize((160, 90), Image.Resampling.LANCZOS), np.float64)
    premultiplied = [v[..., :3] * v[..., 3:] / 255 for v in (out, reference)]
    assert np.abs(premultiplied[0] - premultiplied[1]).mean() < 0.5
    assert np.abs(out[..., 3] - reference[..., 3]).max() <= 1


def test_transparent_colour_does_not_bleed_into_visible_pixels():
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 0))  # invisible red
    image.paste((255, 255, 255, 255), (0, 0, 32, 64))  # opaque white on the left
    out = np.asarray(resize(image, (24, 24)), np.int16)
    visible = out[..., 3] > 0
    assert visible.any() and (~visible).any()
    rgb = out[visible][:, :3]
    assert np.abs(rgb[:, 0] - rgb[:, 1]).max() <= 2  # still white, not pink


def test_grey_images_stay_grey():
    out = resize(_photo(64, 64, "L"), (32, 32))
    assert out.mode == "L" and out.size == (32, 32)


def test_rejects_other_modes_and_boxes_outside_the_image():
    with pytest.raises(ValueError, match="not P"):
        resize(Image.new("P", (8, 8)), (4, 4))
    with pytest.raises(ValueError, match="outside"):
        resize(Image.new("RGB", (8, 8)), (4, 4), box=(0, 0, 9, 8))


def test_threads_can_resize_at_once():
    image = _photo(1024, 1024)
    expected = resize(image, (1080, 1080)).tobytes()
    results: list[bytes] = []

    def work() -> None:
        for _ in range(5):
            results.append(resize(image, (1080, 1080)).tobytes())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20 and all(r == expected for r in results)
