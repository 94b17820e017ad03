import math

import pytest

from imagestudio.catalog.ratios import (
    STANDARD_RATIOS,
    as_fraction,
    label_for,
    parse_ratio,
    ratio_distance,
    reduced,
)
from imagestudio.errors import InvalidRequest


@pytest.mark.parametrize(
    ("width", "height", "label"),
    [
        (1080, 1080, "1:1"),
        (1080, 1350, "4:5"),
        (1080, 1920, "9:16"),
        (1920, 1080, "16:9"),
        (1200, 675, "16:9"),
        (2560, 1440, "16:9"),
        (1200, 600, "2:1"),
        (1500, 500, "3:1"),
        (1000, 1500, "2:3"),
    ],
)
def test_exact_sizes_get_plain_labels(width, height, label):
    ratio = label_for(width, height)
    assert ratio.label == label
    assert ratio.exact == label
    assert not ratio.approximate


# prior-art §11.3: the six sizes ALwrity labelled wrongly or without "≈".
@pytest.mark.parametrize(
    ("width", "height", "label", "exact"),
    [
        (2560, 1080, "≈21:9", "64:27"),
        (1200, 630, "≈1.91:1", "40:21"),
        (1200, 628, "≈1.91:1", "300:157"),
        (1200, 627, "≈1.91:1", "400:209"),
        (1128, 191, "≈5.91:1", "1128:191"),
        (820, 312, "≈2.63:1", "205:78"),
    ],
)
def test_mislabelled_sizes_get_honest_labels(width, height, label, exact):
    ratio = label_for(width, height)
    assert (ratio.label, ratio.exact) == (label, exact)
    assert ratio.approximate
    assert ratio.value == pytest.approx(width / height)


def test_instagram_landscape_sits_just_inside_the_1_91_limit():
    ratio = label_for(1080, 566)
    assert ratio.label == "≈1.91:1"
    assert ratio.exact == "540:283"
    assert 1.9 < ratio.value <= 1.91


def test_portrait_outliers_get_a_one_to_x_label():
    assert label_for(191, 1128).label == "≈1:5.91"


def test_a_ratio_beyond_two_percent_is_not_called_standard():
    # 1.72 is 3.2 % from 16:9 and far from everything else.
    assert label_for(172, 100).label == "≈1.72:1"


def test_label_for_rejects_non_positive_sizes():
    with pytest.raises(ValueError):
        label_for(0, 100)


def test_reduced_divides_by_the_gcd():
    assert reduced(1920, 1080) == "16:9"
    assert reduced(1128, 191) == "1128:191"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("16:9", 16 / 9),
        ("1.91:1", 1.91),
        ("≈21:9", 21 / 9),
        ("4x5", 0.8),
        (" 2 / 3 ", 2 / 3),
        ("~3:1", 3.0),
    ],
)
def test_parse_ratio_accepts_common_spellings(text, value):
    assert parse_ratio(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "wide", "16:", "0:9", "1:0", "17:1", "1:17", "-1:2"])
def test_parse_ratio_rejects_garbage_naming_the_field(text):
    with pytest.raises(InvalidRequest) as info:
        parse_ratio(text, field="ratio")
    assert info.value.field == "ratio"


def test_ratio_distance_is_symmetric_and_orientation_aware():
    assert ratio_distance(16 / 9, 9 / 16) == pytest.approx(ratio_distance(9 / 16, 16 / 9))
    assert ratio_distance(1.91, 1.9) < 0.01 < ratio_distance(16 / 9, 9 / 16)


def test_standard_ratio_values_match_their_names():
    for name, value in STANDARD_RATIOS:
        w, h = (float(part) for part in name.split(":"))
        assert math.isclose(w / h, value)


def test_as_fraction_limits_the_denominator():
    assert as_fraction(1.91).denominator <= 1000
    assert float(as_fraction(16 / 9)) == pytest.approx(16 / 9)
