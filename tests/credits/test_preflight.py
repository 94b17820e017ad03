"""Pre-flight: the create decision without side effects, and quote == held == captured."""

from typing import Any

from tests.credits.conftest import FLUX_MICROS, Studio

from imagestudio.providers.errors import ProviderUnavailable


async def test_preflight_quote_is_what_is_held_and_captured(studio: Studio) -> None:
    jane = await studio.user("jane", plan="pro", credit=1_000_000)
    body: dict[str, Any] = {"num_variations": 3}
    before = await studio.preflight(jane, **body)
    assert before["can_proceed"] and before["reasons"] == []
    assert before["quote"]["micros"] == 3 * FLUX_MICROS == before["estimate"]["total"]["micros"]
    assert before["per_image"]["micros"] == FLUX_MICROS
    assert before["balance"]["micros"] == 1_000_000
    assert before["balance_after"]["micros"] == 1_000_000 - 3 * FLUX_MICROS
    assert before["quotas"]["image_generation"] == {
        "limit": 100, "used": 0, "remaining_after": 97,
    }
    assert before["spend_after"]["micros"] == 3 * FLUX_MICROS
    assert before["plan"] == {"id": "pro", "name": "Pro"}

    again = await studio.preflight(jane, **body)  # no side effects
    assert again["quotas"] == before["quotas"] and again["balance"] == before["balance"]
    assert (await studio.ledger(jane))[0]["kind"] == "grant"

    created = await studio.create(jane, **body)
    assert created.status_code == 200, created.text
    assert created.json()["cost"]["micros"] == before["quote"]["micros"]
    ledger = await studio.ledger(jane)
    held = sum(e["held"]["micros"] for e in ledger if e["kind"] == "hold")
    captured = -sum(e["amount"]["micros"] for e in ledger if e["kind"] == "capture")
    assert before["quote"]["micros"] == held == captured
    assert not [e for e in ledger if e["kind"] == "release"]
    after = await studio.usage(jane)
    assert after["balance"] == before["balance_after"]
    assert after["quotas"]["image_generation"]["remaining"] == 97
    captures = [e for e in ledger if e["kind"] == "capture"]
    asset_ids = {v["asset_id"] for v in created.json()["variations"]}
    assert {e["asset_id"] for e in captures} == asset_ids
    assert {e["generation_id"] for e in ledger if e["kind"] != "grant"} == {
        created.json()["generation_id"]
    }


async def test_preflight_lists_every_reason(studio: Studio) -> None:
    kim = await studio.user("kim", plan="free", credit=FLUX_MICROS)
    result = await studio.preflight(kim, quality="premium", num_variations=4)
    assert not result["can_proceed"]
    by_limit = {r["limit"]: r for r in result["reasons"]}
    assert set(by_limit) == {"quality_tiers", "balance"}
    assert by_limit["quality_tiers"]["code"] == "plan_forbids"
    assert by_limit["balance"] == {
        "code": "insufficient_credits", "limit": "balance", "remaining": FLUX_MICROS,
        "message": by_limit["balance"]["message"],
    }
    assert result["balance_after"]["micros"] == -3 * FLUX_MICROS
    assert result["spend_cap"]["micros"] == 2_000_000
    assert result["quotas"]["video"] == {"limit": 2, "used": 0, "remaining_after": 2}


async def test_a_fallback_costs_its_own_price_never_more_than_the_quote(studio: Studio) -> None:
    lee = await studio.user("lee", plan="pro", credit=1_000_000)
    body = {"provider": "auto", "model": None, "quality": "standard", "width": 512,
            "height": 512}
    quote = await studio.preflight(lee, **body)
    assert quote["estimate"]["model"] == "stability/core"
    assert "huggingface/flux-dev" in quote["estimate"]["fallbacks"]
    studio.stability.script(ProviderUnavailable("down", provider="stability"))
    response = await studio.create(lee, **body)
    assert response.status_code == 200, response.text
    variation = response.json()["variations"][0]
    assert variation["model"] == "huggingface/flux-dev"
    ledger = await studio.ledger(lee)
    capture = next(e for e in ledger if e["kind"] == "capture")
    release = next(e for e in ledger if e["kind"] == "release")
    assert -capture["amount"]["micros"] == variation["cost"]["micros"] == 3_000
    assert -release["held"]["micros"] == quote["quote"]["micros"] - 3_000
    assert "fallback" in capture["note"]


async def test_a_provider_failure_costs_nothing(studio: Studio) -> None:
    max_ = await studio.user("max", plan="pro", credit=FLUX_MICROS)
    studio.hf.script(ProviderUnavailable("down", provider="huggingface"))
    failed = await studio.create(max_)
    assert failed.status_code == 502
    usage = await studio.usage(max_)
    assert usage["balance"]["micros"] == FLUX_MICROS
    assert usage["quotas"]["image_generation"]["used"] == 0 and usage["spend"]["micros"] == 0
    ledger = await studio.ledger(max_)
    assert [e["kind"] for e in ledger] == ["release", "hold", "grant"]


async def test_unconfigured_provider_releases_the_hold(studio_factory: Any) -> None:
    studio: Studio = await studio_factory(huggingface_api_key=None)
    nora = await studio.user("nora", plan="pro", credit=FLUX_MICROS)
    response = await studio.create(nora)
    assert response.status_code == 503, response.text
    usage = await studio.usage(nora)
    assert usage["balance"]["micros"] == FLUX_MICROS and usage["held"]["micros"] == 0
    (await studio.books()).assert_balanced()
