""""Upscale to platform": an optimize request whose targets need more pixels than the
source has runs a vendor upscale first, quoted as one total (quote = hold = capture from
the modes' one price table); a failed vendor upscale delivers nothing and costs nothing;
a request with no target short of pixels runs no upscale and costs nothing."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image
from tests.optimize.conftest import source_asset

from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.optimize.upscale import load_modes

OPT = "/api/image-studio/optimize"
FAST = load_modes()["stability/fast"].price_micros
CONSERVATIVE = load_modes()["stability/conservative"].price_micros
SQUARE = {"templates": ["instagram_feed_square"], "upscale": "stability/fast"}  # 1080x1080


async def _ledger(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    page = (await client.get("/api/image-studio/ledger", params={"limit": 50},
                             headers=headers)).json()
    return list(page["entries"])


async def _usage(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    return dict((await client.get("/api/image-studio/usage", headers=headers)).json())


async def test_the_quote_is_held_and_captured_as_one_total(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    source = await source_asset(client, headers, (512, 384))
    quoted = await client.post(f"{OPT}/quote", headers=headers,
                               json={"asset_id": source, **SQUARE})
    assert quoted.status_code == 200, quoted.text
    q = quoted.json()
    assert q["quote"]["micros"] == FAST and q["upscale"] == "stability/fast"
    assert q["short"] == ["instagram_feed_square"] and q["check"]["can_proceed"] is True
    assert emulator.requests("POST") == []  # a quote sends nothing

    made = await client.post(OPT, headers=headers, json={"asset_id": source, **SQUARE})
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["cost_micros"] == FAST
    assert body["upscaled"] == {"mode": "stability/fast", "ai": True, "width": 2048,
                                "height": 1536, "cost_micros": FAST}
    assert body["warnings"][0].startswith("the source was upscaled by stability/fast (AI)")
    assert not any("fewer pixels" in w for w in body["warnings"])  # 2048x1536 covers it
    [rendition] = body["renditions"]
    with Image.open(io.BytesIO((await client.get(rendition["url"])).content)) as image:
        assert image.size == (1080, 1080)
    assert len(emulator.requests("POST")) == 1  # one vendor call for the whole request

    capture, hold, _grant = await _ledger(client, headers)
    assert (hold["kind"], hold["held"]["micros"]) == ("hold", FAST)  # hold = quote
    assert (capture["kind"], capture["amount"]["micros"]) == ("capture", -FAST)
    usage = await _usage(client, headers)
    assert usage["balance"]["micros"] == 1_000_000 - FAST and usage["held"]["micros"] == 0
    assert usage["quotas"]["optimize"]["used"] == 1


async def test_a_failed_vendor_upscale_costs_nothing_and_stores_nothing(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    source = await source_asset(client, headers, (512, 384))
    before = (await client.get("/api/image-studio/assets", headers=headers)).json()
    emulator.fail_next(500)
    failed = await client.post(OPT, headers=headers, json={"asset_id": source, **SQUARE})
    assert failed.status_code == 502, failed.text
    assert "stability/fast upscale failed" in failed.json()["error"]["message"]
    release, hold, _grant = await _ledger(client, headers)
    assert (hold["kind"], hold["held"]["micros"]) == ("hold", FAST)
    assert release["kind"] == "release" and release["amount"]["micros"] == 0
    usage = await _usage(client, headers)
    assert usage["balance"]["micros"] == 1_000_000 and usage["held"]["micros"] == 0
    after = (await client.get("/api/image-studio/assets", headers=headers)).json()
    assert after == before  # no rendition stored


async def test_no_target_short_of_pixels_runs_no_upscale_and_is_free(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    source = await source_asset(client, headers, (1200, 1200))
    made = await client.post(OPT, headers=headers, json={"asset_id": source, **SQUARE})
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["cost_micros"] == 0 and body["upscaled"] is None
    assert any("stability/fast was not used" in w for w in body["warnings"])
    assert emulator.requests("POST") == []
    assert (await _usage(client, headers))["balance"]["micros"] == 1_000_000


async def test_a_source_outside_the_mode_limits_is_refused_naming_upscale(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    wide = await source_asset(client, headers, (1000, 300))  # aspect 3.3 > 2.5
    body = {"asset_id": wide, "templates": ["youtube_channel_art"],
            "upscale": "stability/conservative"}
    for path in (f"{OPT}/quote", OPT):
        refused = await client.post(path, headers=headers, json=body)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["details"]["field"] == "upscale" and "aspect ratio" in error["message"]
    missing = await client.post(f"{OPT}/quote", headers=headers, json={
        "asset_id": wide, "templates": ["youtube_channel_art"],
        "upscale": "wavespeed/image-upscaler"})
    assert missing.status_code == 503
    assert emulator.requests("POST") == []
    usage = await _usage(client, headers)
    assert usage["held"]["micros"] == 0 and usage["quotas"]["optimize"]["used"] == 0
    assert CONSERVATIVE > 0
