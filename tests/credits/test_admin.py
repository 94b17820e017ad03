import pytest
from tests.credits.conftest import Studio

from imagestudio.credits.admin import parse_usd
from imagestudio.errors import InvalidRequest, NotFound


@pytest.mark.parametrize(
    ("text", "micros"),
    [("10", 10_000_000), ("$2.50", 2_500_000), ("0.000001", 1), ("-1.5", -1_500_000),
     ("1,000", 1_000_000_000)],
)
def test_usd_amounts_become_exact_micros(text: str, micros: int) -> None:
    assert parse_usd(text) == micros


@pytest.mark.parametrize("text", ["", "ten", "0.0000001", "NaN", "Infinity", "$"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_usd(text)


async def test_grants_refunds_and_adjustments_keep_the_books(studio: Studio) -> None:
    admin = studio.persistence.credits.admin
    await studio.user("zoe", plan="basic")
    entry = await admin.grant("zoe", 5_000_000, note="welcome")
    assert (entry.kind, entry.amount.micros, entry.balance_after.micros) == (
        "grant", 5_000_000, 5_000_000,
    )
    await admin.refund("zoe", 250_000, note="bad image", generation_id="g1")
    await admin.adjust("zoe", -1_000_000, note="duplicate grant")
    with pytest.raises(InvalidRequest, match="available balance"):
        await admin.adjust("zoe", -10_000_000, note="too much")
    with pytest.raises(InvalidRequest, match="note"):
        await admin.adjust("zoe", 1, note=" ")
    for bad in (0, -1):
        with pytest.raises(InvalidRequest):
            await admin.grant("zoe", bad)
    with pytest.raises(NotFound):
        await admin.grant("nobody", 1)
    shown = await admin.show("zoe")
    assert shown.usage.balance.micros == 4_250_000 and shown.usage.plan.id == "basic"
    assert shown.open_holds == 0
    (await studio.books()).assert_balanced()
