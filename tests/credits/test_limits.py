"""Plan limits through the API: quotas per period, plan_forbids, rate limit, spend cap."""

import datetime as dt
from typing import Any

from tests.credits.conftest import FLUX_MICROS, Clock, Studio

from imagestudio.credits.plans import PlanTable, load_plans, parse_plans

LOCAL = {"provider": "local", "model": "local", "width": 64, "height": 64}


def _error(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def _with(base: str, **changes: Any) -> PlanTable:
    """The packaged table plus plan ``custom``: ``base`` with ``changes``."""
    table = load_plans()
    custom = table.plans[base].as_data() | {"id": "custom", "name": "Custom", **changes}
    return parse_plans([*(plan.as_data() for plan in table), custom])


async def test_free_plan_refuses_the_eleventh_image_and_resets_next_month(
    studio_factory: Any,
) -> None:
    clock = Clock(dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC))
    studio: Studio = await studio_factory(clock=clock)
    dana = await studio.user("dana", plan="free")
    for count in (4, 4, 2):
        response = await studio.create(dana, num_variations=count, **LOCAL)
        assert response.status_code == 200, response.text

    eleventh = await studio.create(dana, **LOCAL)
    assert eleventh.status_code == 429
    error = _error(eleventh)
    assert error["code"] == "quota_exceeded" and "image_generation" in error["message"]
    assert error["details"] == {
        "limit": "image_generation", "remaining": 0, "limit_value": 10, "requested": 1,
    }
    assert int(eleventh.headers["Retry-After"]) == 60  # until 2026-02-01T00:00Z
    usage = await studio.usage(dana)
    assert usage["period_end"].startswith("2026-02-01T00:00:00")

    clock.advance(minutes=1)
    assert (await studio.create(dana, **LOCAL)).status_code == 200
    usage = await studio.usage(dana)
    assert usage["period_start"].startswith("2026-02-01")
    assert usage["quotas"]["image_generation"] == {"limit": 10, "used": 1, "remaining": 9}


async def test_free_plan_forbids_premium_quality_and_extra_models(studio: Studio) -> None:
    erin = await studio.user("erin", plan="free", credit=1_000_000)
    premium = await studio.create(erin, quality="premium", **LOCAL)
    assert premium.status_code == 403
    error = _error(premium)
    assert error["code"] == "plan_forbids" and error["details"]["limit"] == "quality_tiers"
    assert "premium" in error["message"] and "Free" in error["message"]

    too_many = await studio.create(erin, num_variations=5, **LOCAL)
    assert _error(too_many)["details"] == {
        "limit": "max_variations", "remaining": 4, "limit_value": 4, "requested": 5,
    }
    too_big = await studio.create(erin, **{**LOCAL, "width": 2048, "height": 2048})
    assert too_big.status_code == 403 and _error(too_big)["details"]["limit"] == "max_pixels"
    ultra = await studio.create(erin, provider="stability", model="stability/ultra",
                                width=None, height=None, quality="standard")
    assert ultra.status_code == 403 and _error(ultra)["details"]["limit"] == "models"
    assert not studio.stability.calls
    usage = await studio.usage(erin)
    assert usage["quotas"]["image_generation"]["used"] == 0
    assert usage["balance"]["micros"] == 1_000_000


async def test_unknown_plan_fails_closed(studio: Studio) -> None:
    frank = await studio.user("frank", plan="pro", credit=FLUX_MICROS)
    async with studio.persistence.db.engine.begin() as conn:
        from sqlalchemy import update

        from imagestudio.db.models import User

        await conn.execute(update(User).where(User.name == "frank").values(plan="legacy"))
    response = await studio.create(frank)
    assert response.status_code == 403
    assert _error(response)["details"]["limit"] == "plan"
    assert not studio.hf.calls


async def test_rate_limit_is_429_with_retry_after(studio_factory: Any) -> None:
    studio: Studio = await studio_factory(plans=_with("pro", rate_limit_per_minute=3))
    gail = await studio.user("gail", plan="custom")
    for _ in range(3):
        assert (await studio.create(gail, **LOCAL)).status_code == 200
    limited = await studio.create(gail, **LOCAL)
    assert limited.status_code == 429
    assert _error(limited)["code"] == "rate_limited"
    assert _error(limited)["details"]["limit"] == "rate_limit_per_minute"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    preflight = await studio.preflight(gail, **LOCAL)
    assert not preflight["can_proceed"]
    assert [r["code"] for r in preflight["reasons"]] == ["rate_limited"]


async def test_spend_cap_is_checked_with_the_hold(studio_factory: Any) -> None:
    studio: Studio = await studio_factory(
        plans=_with("pro", spend_cap_micros=3 * FLUX_MICROS))
    hank = await studio.user("hank", plan="custom", credit=1_000_000)
    assert (await studio.create(hank, num_variations=2)).status_code == 200
    over = await studio.create(hank, num_variations=2)
    assert over.status_code == 429
    assert _error(over)["details"] == {
        "limit": "spend_cap", "remaining": FLUX_MICROS, "limit_value": 3 * FLUX_MICROS,
        "requested": 2 * FLUX_MICROS,
    }
    assert (await studio.create(hank)).status_code == 200
    assert (await studio.usage(hank))["spend"]["micros"] == 3 * FLUX_MICROS


async def test_failed_images_give_back_quota_and_money(studio: Studio) -> None:
    from imagestudio.providers.errors import ProviderUnavailable

    ivan = await studio.user("ivan", plan="pro", credit=10 * FLUX_MICROS)
    studio.hf.script(None, ProviderUnavailable("down", provider="huggingface"))
    response = await studio.create(ivan, num_variations=2)
    assert response.status_code == 200 and response.json()["num_succeeded"] == 1
    usage = await studio.usage(ivan)
    assert usage["quotas"]["image_generation"]["used"] == 1
    assert usage["balance"]["micros"] == 9 * FLUX_MICROS
    assert usage["spend"]["micros"] == FLUX_MICROS
