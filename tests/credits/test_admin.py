import pytest
from tests.credits.conftest import FLUX, FLUX_MICROS, Studio

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
    assert shown.usage.balance.micros == 4_000_000 and shown.usage.plan.id == "basic"
    assert shown.open_holds == 0
    (await studio.books()).assert_balanced()


async def test_refunds_never_exceed_the_captured_spend_not_yet_refunded(studio: Studio) -> None:
    """Issue 11 (9): a refund with nothing captured was accepted."""
    admin = studio.persistence.credits.admin
    ann = await studio.user("ann", plan="pro", credit=10 * FLUX_MICROS)
    with pytest.raises(InvalidRequest, match="captured spend"):
        await admin.refund("ann", 50_000_000, note="nothing was spent", generation_id=None)
    made = await studio.create(ann, prompt="a kite", num_variations=2, **FLUX)
    assert made.status_code == 200, made.text
    job = made.json()["generation_id"]
    with pytest.raises(InvalidRequest, match="captured spend of generation other"):
        await admin.refund("ann", 1, note="wrong job", generation_id="other")
    with pytest.raises(InvalidRequest, match=r"not yet refunded \(\$0.0024"):
        await admin.refund("ann", 2 * FLUX_MICROS + 1, note="too much", generation_id=job)
    await admin.refund("ann", FLUX_MICROS, note="one bad image", generation_id=job)
    await admin.refund("ann", FLUX_MICROS, note="the other", generation_id=None)
    with pytest.raises(InvalidRequest, match="captured spend"):
        await admin.refund("ann", 1, note="a third time", generation_id=None)
    assert (await studio.usage(ann))["balance"]["micros"] == 10 * FLUX_MICROS
    (await studio.books()).assert_balanced()


@pytest.mark.parametrize("micros", [10**12 + 1, -(10**12) - 1, 9_223_372_036_854 * 10**6])
async def test_every_operator_amount_is_bounded(studio: Studio, micros: int) -> None:
    admin = studio.persistence.credits.admin
    await studio.user("max", plan="pro", credit=10**12)
    with pytest.raises(InvalidRequest, match=r"at most \$1000000.00"):
        await admin.adjust("max", micros, note="typo")
    with pytest.raises(InvalidRequest, match=r"at most \$1000000.00"):
        await admin.refund("max", abs(micros), note="typo", generation_id=None)
    (await studio.books()).assert_balanced()
