import pytest

from imagestudio.money import Money, format_usd


@pytest.mark.parametrize(
    ("micros", "text"),
    [(0, "$0.00"), (39_000, "$0.039"), (1_500_000, "$1.50"), (-1, "-$0.000001"),
     (12_345_678_900, "$12345.6789")],
)
def test_format_usd(micros: int, text: str) -> None:
    assert format_usd(micros) == text


def test_money_carries_both_forms() -> None:
    assert Money.of(250_000).model_dump() == {"micros": 250_000, "usd": "$0.25"}
