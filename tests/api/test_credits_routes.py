"""The credit routes' shapes (the web UI relies on them) and credits on /v1."""

from typing import Any

from tests.api.conftest import USER_CREDIT_MICROS, Api

QWEN = {"provider": "wavespeed", "model": "qwen-image", "width": 512, "height": 512}


async def _json(api: Api, method: str, path: str, **kwargs: Any) -> Any:
    response = await api.client.request(method, f"/api/image-studio{path}", **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


async def test_usage_has_the_documented_shape(api: Api) -> None:
    usage = await _json(api, "GET", "/usage", headers=api.alice)
    assert set(usage) == {"plan", "period_start", "period_end", "balance", "held",
                          "ledger_balance", "spend", "spend_cap", "quotas", "limits"}
    assert usage["plan"] == {"id": "pro", "name": "Pro"}
    assert usage["balance"] == {"micros": USER_CREDIT_MICROS, "usd": "$10.00"}
    assert set(usage["quotas"]) == {
        "image_generation", "image_edit", "upscale", "optimize", "video",
    }
    assert usage["quotas"]["image_edit"] == {"limit": 100, "used": 0, "remaining": 100}
    assert set(usage["limits"]) == {"max_variations", "quality_tiers", "providers", "models",
                                    "max_pixels", "rate_limit_per_minute"}
    assert usage["period_end"].endswith("Z") or usage["period_end"].endswith("+00:00")


async def test_preflight_has_the_documented_shape_and_create_matches_it(api: Api) -> None:
    body = {"prompt": "a lighthouse", **QWEN, "num_variations": 2}
    preflight = await _json(api, "POST", "/preflight", json=body, headers=api.alice)
    assert {"can_proceed", "plan", "operation", "num_images", "quote", "per_image", "balance",
            "balance_after", "quotas", "spend_cap", "spend_after", "reasons"} <= set(preflight)
    assert preflight["operation"] == "image_generation" and preflight["num_images"] == 2
    created = await _json(api, "POST", "/create", json=body, headers=api.alice)
    assert created["cost"] == preflight["quote"]
    usage = await _json(api, "GET", "/usage", headers=api.alice)
    assert usage["balance"] == preflight["balance_after"]


async def test_the_ledger_pages_newest_first(api: Api) -> None:
    for _ in range(2):
        await _json(api, "POST", "/create", json={"prompt": "x", **QWEN}, headers=api.alice)
    seen: list[str] = []
    before: str | None = None
    while True:
        params = {"limit": 2, **({"before": before} if before else {})}
        page = await _json(api, "GET", "/ledger", params=params, headers=api.alice)
        seen += [e["id"] for e in page["entries"]]
        before = page["next_before"]
        if before is None:
            break
    assert len(seen) == 5 == len(set(seen))  # grant + 2 × (hold, capture)
    kinds = [e["kind"] for e in (await _json(api, "GET", "/ledger", headers=api.alice))["entries"]]
    assert kinds == ["capture", "hold", "capture", "hold", "grant"]  # newest first
    bob = await _json(api, "GET", "/ledger", headers=api.bob)
    assert [e["kind"] for e in bob["entries"]] == ["grant"]
    bad = await api.client.get("/api/image-studio/ledger?limit=0", headers=api.alice)
    assert bad.status_code == 422


async def test_openai_endpoint_is_charged_and_refused_like_create(api: Api) -> None:
    body = {"prompt": "a kite", "model": "wavespeed/qwen-image", "size": "512x512", "n": 2}
    ok = await api.client.post("/v1/images/generations", json=body, headers=api.alice)
    assert ok.status_code == 200, ok.text
    usage = await _json(api, "GET", "/usage", headers=api.alice)
    assert usage["balance"]["micros"] == USER_CREDIT_MICROS - 2 * 20_000
    broke = await api.services.persistence.accounts.create_user("eve")  # type: ignore[union-attr]
    refused = await api.client.post(
        "/v1/images/generations", json=body, headers={"Authorization": f"Bearer {broke.key}"}
    )
    assert refused.status_code == 429  # OpenAI's empty balance
    assert refused.json()["error"]["code"] == "insufficient_quota"


async def test_credit_routes_need_a_key_and_the_ui_sees_them(api: Api) -> None:
    for method, path in (("GET", "/usage"), ("GET", "/ledger"), ("POST", "/preflight"),
                         ("GET", "/plans")):
        response = await api.client.request(method, f"/api/image-studio{path}", json={})
        assert response.status_code == 401, path
    config = await _json(api, "GET", "/ui/config")
    assert config["features"] == {"preflight": True, "usage": True}
    plans = await _json(api, "GET", "/plans", headers=api.alice)
    assert [p["id"] for p in plans["plans"]] == ["free", "basic", "pro", "enterprise"]
