import pytest

from imagestudio.video.motion import (
    EASE_FUNCTIONS,
    EASES,
    PRESETS,
    Motion,
    Preset,
    crop_box,
)


@pytest.mark.parametrize("ease", EASES)
def test_eases_run_from_0_to_1_monotonically(ease: str) -> None:
    f = EASE_FUNCTIONS[ease]  # type: ignore[index]
    values = [f(i / 100) for i in range(101)]
    assert values[0] == pytest.approx(0) and values[-1] == pytest.approx(1)
    assert all(a <= b + 1e-12 for a, b in zip(values, values[1:], strict=False))


def test_ease_in_starts_slow_and_ease_out_fast() -> None:
    assert EASE_FUNCTIONS["ease-in"](0.2) < 0.2 < EASE_FUNCTIONS["ease-out"](0.2)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize(("iw", "ih"), [(1600, 900), (900, 1600), (1000, 1000)])
def test_every_window_stays_inside_the_image_with_the_target_aspect(
    preset: Preset, iw: int, ih: int
) -> None:
    motion = Motion(preset, "linear", (0.9, 0.1))
    for step in range(11):
        left, top, right, bottom = crop_box(motion.at(step / 10), iw, ih, 1080, 1920)
        assert left >= 0 and top >= 0 and right <= iw + 1e-9 and bottom <= ih + 1e-9
        assert (right - left) / (bottom - top) == pytest.approx(1080 / 1920)


def _centre(preset: Preset, t: float) -> tuple[float, float, float]:
    left, top, right, bottom = crop_box(Motion(preset, "linear").at(t), 1600, 1600, 1080, 1080)
    return (left + right) / 2, (top + bottom) / 2, right - left


def test_directions() -> None:
    assert _centre("zoom-in", 1)[2] < _centre("zoom-in", 0)[2]
    assert _centre("zoom-out", 1)[2] > _centre("zoom-out", 0)[2]
    assert _centre("push", 1)[2] < _centre("zoom-in", 1)[2]  # a deeper move
    assert _centre("pan-left", 1)[0] < _centre("pan-left", 0)[0]
    assert _centre("pan-right", 1)[0] > _centre("pan-right", 0)[0]
    assert _centre("pan-up", 1)[1] < _centre("pan-up", 0)[1]
    assert _centre("pan-down", 1)[1] > _centre("pan-down", 0)[1]


def test_ken_burns_drifts_from_the_centre_to_the_focal_point() -> None:
    motion = Motion("ken-burns", "linear", (0.8, 0.2))
    start, end = motion.at(0), motion.at(1)
    assert (start.cx, start.cy, start.zoom) == (0.5, 0.5, 1.0)
    assert (end.cx, end.cy) == pytest.approx((0.8, 0.2)) and end.zoom > 1
