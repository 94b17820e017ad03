"""Vendor image-to-video and text-to-video through POST /transform, against the Veo and
WAN emulators (SQLite and PostgreSQL): per-second price by size tier (quote = hold =
capture), the ledger's note, refusals and failures cost nothing, the vendor's rules are
checked before anything is held, a cancel after the submit is delivered and charged, and
a restarted server polls the journaled vendor job instead of submitting again."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import update
from tests.credits.conftest import Studio
from tests.studio.test_jobs import get, sse, until
from tests.studio.test_jobs_recovery import _until_ended

from imagestudio.container import build_jobs
from imagestudio.db.job_models import JobUnit
from imagestudio.emulators.veo import FILTERED_REASON, VeoEmulator
from imagestudio.emulators.wavespeed_video import WanVideoEmulator
from imagestudio.providers.veo import VeoClient
from imagestudio.video.schemas import TransformRequest

pytest.importorskip("av")
TRANSFORM = "/api/image-studio/transform"
VEO = "gemini/veo-3.1-generate-preview"
WAN = "wavespeed/wan-2.6-i2v"
VEO_8S = 8 * 400_000  # $0.40/s at 720p and 1080p
WAN_5S_1080 = 5 * 150_000


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((360, 640)).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


class Vendors:
    def __init__(self) -> None:
        self.veo = VeoEmulator(polls_before_done=2)
        self.wan = WanVideoEmulator(polls_before_done=2)

    def clients(self) -> dict[str, httpx.AsyncClient]:
        return {
            "gemini": httpx.AsyncClient(transport=httpx.MockTransport(self.veo.handle_async)),
            "wavespeed": httpx.AsyncClient(transport=httpx.MockTransport(self.wan.handle_async)),
        }


@pytest.fixture
async def vendors() -> Vendors:
    return Vendors()


@pytest.fixture
async def vstudio(studio_factory: Callable[..., Any], vendors: Vendors) -> Studio:
    made: Studio = await studio_factory(
        http_clients=vendors.clients(), gemini_api_key="test-key",
        wavespeed_api_key="test-key", video_poll_interval_s=0.01,
    )
    return made


async def _submit(studio: Studio, headers: dict[str, str], *, image: bool = True,
                  **form: Any) -> httpx.Response:
    fields = {"model": VEO, "duration": "8", "target": "instagram_reel",
              "prompt": "the bottle turns slowly", **{k: str(v) for k, v in form.items()}}
    files = {"image": ("still.png", _png(), "image/png")} if image else None
    return await studio.client.post(TRANSFORM, data=fields, files=files, headers=headers)


async def test_veo_image_to_video_is_priced_per_second_and_lands_in_the_library(
    vstudio: Studio, vendors: Vendors
) -> None:
    ann = await vstudio.user("ann", credit=10 * VEO_8S)
    response = await _submit(vstudio, ann)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["quote"]["micros"] == VEO_8S
    ended = await until(vstudio, ann, job["id"])

    assert ended["state"] == "succeeded", ended
    assert ended["cost"]["micros"] == VEO_8S  # quote = hold = capture
    result = ended["result"]
    assert result["ai_generated"] is True and result["provider"] == "gemini"
    assert result["label"] == "made by Google Veo 3.1"
    # the emulator's 64x112 clip, re-encoded to the reel's exact size at the asked length
    assert result["warnings"][0].startswith("the vendor made 64x112 at 24 fps")
    video = result["video"]
    assert (video["width"], video["height"], video["duration_s"]) == (1080, 1920, 8.0)
    (sent,) = vendors.veo.submissions()
    body = httpx.Response(200, content=sent.content).json()
    assert body["parameters"] == {"sampleCount": 1, "durationSeconds": 8,
                                  "aspectRatio": "9:16", "resolution": "1080p"}
    assert body["instances"][0]["prompt"] == "the bottle turns slowly"
    assert body["instances"][0]["image"]["mimeType"] == "image/png"
    asset = (await vstudio.client.get(f"/api/image-studio/assets/{result['asset_id']}",
                                      headers=ann)).json()
    assert asset["media_type"] == "video/mp4" and asset["provider"] == "gemini"
    assert asset["has_poster"] and asset["codec"] == "h264"
    units = (await get(vstudio, ann, job["id"]))["progress"]["units"]
    assert units == [{"index": 0, "state": "succeeded", "message": units[0]["message"]}]
    charge = [e for e in await vstudio.ledger(ann) if e["kind"] == "capture"]
    assert len(charge) == 1 and charge[0]["amount"]["micros"] == -VEO_8S
    assert "Google Veo 3.1: 8 s at 1080p" in charge[0]["note"]
    usage = await vstudio.usage(ann)
    assert usage["balance"]["micros"] == 9 * VEO_8S and usage["held"]["micros"] == 0
    (await vstudio.books()).assert_balanced()


async def test_veo_text_to_video_needs_only_a_prompt(vstudio: Studio, vendors: Vendors) -> None:
    bob = await vstudio.user("bob", credit=VEO_8S)
    response = await _submit(vstudio, bob, image=False, duration="4", target="youtube")
    assert response.status_code == 202, response.text
    ended = await until(vstudio, bob, response.json()["id"])
    assert ended["state"] == "succeeded" and ended["cost"]["micros"] == 4 * 400_000
    body = httpx.Response(200, content=vendors.veo.submissions()[0].content).json()
    assert "image" not in body["instances"][0]
    assert body["parameters"]["aspectRatio"] == "16:9"


async def test_wan_is_priced_by_its_size_tier(vstudio: Studio, vendors: Vendors) -> None:
    cy = await vstudio.user("cy", credit=WAN_5S_1080)
    response = await _submit(vstudio, cy, model=WAN, duration="5")
    assert response.status_code == 202, response.text
    assert response.json()["quote"]["micros"] == WAN_5S_1080
    ended = await until(vstudio, cy, response.json()["id"])
    assert ended["state"] == "succeeded" and ended["cost"]["micros"] == WAN_5S_1080
    assert vendors.wan.dropped == []  # no field WaveSpeed would silently drop
    assert (await vstudio.usage(cy))["balance"]["micros"] == 0


@pytest.mark.parametrize(("form", "image", "field", "message"), [
    ({"duration": "5"}, True, "duration", f"duration: {VEO} makes clips of 4, 6, 8 s"),
    ({"target": "instagram_feed_square"}, True, "target",
     f"target: {VEO} makes 16:9 or 9:16 clips, not 1080x1080"),
    ({"prompt": ""}, False, "prompt", f"prompt: {VEO} needs a prompt"),
    ({"model": WAN, "duration": "5"}, False, "image", f"image: {WAN} animates an image"),
    ({"model": WAN, "duration": "5", "prompt": ""}, True, "prompt", f"prompt: {WAN} needs"),
])
async def test_the_vendors_rules_are_checked_before_anything_is_held(
    vstudio: Studio, vendors: Vendors, form: dict[str, str], image: bool, field: str,
    message: str,
) -> None:
    dee = await vstudio.user("dee", credit=10 * VEO_8S)
    response = await _submit(vstudio, dee, image=image, **form)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == field and error["message"].startswith(message)
    assert (await vstudio.usage(dee))["held"]["micros"] == 0
    assert vendors.veo.submissions() == [] and vendors.wan.submissions() == []


async def test_a_vendor_without_a_key_is_a_503(studio: Studio) -> None:
    eve = await studio.user("eve", credit=VEO_8S)
    response = await _submit(studio, eve)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "provider_not_configured"


async def test_credits_are_checked_before_the_vendor_is_called(
    vstudio: Studio, vendors: Vendors
) -> None:
    poor = await vstudio.user("poor", credit=VEO_8S - 1)
    response = await _submit(vstudio, poor)
    assert response.status_code == 402, response.text
    assert vendors.veo.submissions() == []


@pytest.mark.parametrize("fault", ["filter", "fail"])
async def test_a_refused_or_failed_vendor_job_costs_nothing(
    vstudio: Studio, vendors: Vendors, fault: str
) -> None:
    fay = await vstudio.user("fay", credit=VEO_8S)
    if fault == "filter":
        vendors.veo.filter_job()
    else:
        vendors.veo.fail_job("Video generation failed due to an internal error.")
    response = await _submit(vstudio, fay)
    ended = await until(vstudio, fay, response.json()["id"])
    assert ended["state"] == "failed" and ended["cost"]["micros"] == 0
    message = ended["progress"]["units"][0]["message"]
    assert message.endswith("(not charged)")
    if fault == "filter":
        assert FILTERED_REASON[:40] in message and "not be charged" in message
    usage = await vstudio.usage(fay)
    assert usage["balance"]["micros"] == VEO_8S and usage["held"]["micros"] == 0
    release, hold, _grant = await vstudio.ledger(fay)
    assert (release["kind"], hold["kind"]) == ("release", "hold")
    assert release["held"]["micros"] == -VEO_8S and release["amount"]["micros"] == 0
    assert release["note"] == f"unit 0: {message}"  # the ledger says why it cost nothing
    (await vstudio.books()).assert_balanced()


async def test_a_vendor_job_cancelled_after_the_submit_is_delivered_and_charged(
    vstudio: Studio, vendors: Vendors
) -> None:
    vendors.veo.polls_before_done = 40  # ~0.4 s of polling: time to cancel
    gus = await vstudio.user("gus", credit=VEO_8S)
    job = (await _submit(vstudio, gus)).json()
    while not vendors.veo.submissions():
        await vstudio.client.get("/api/image-studio/usage", headers=gus)
    cancel = await vstudio.client.post(f"/api/image-studio/jobs/{job['id']}/cancel",
                                       headers=gus)
    assert cancel.json()["cancel_requested"] is True
    ended = await until(vstudio, gus, job["id"])
    assert ended["state"] == "cancelled" and ended["cost"]["micros"] == VEO_8S
    assert ended["result"]["asset_id"]
    (charge,) = [e for e in await vstudio.ledger(gus) if e["kind"] == "capture"]
    assert "cancelled after it was sent: the vendor billed it" in charge["note"]
    assert [e["event"] for e in await sse(vstudio, gus, job["id"])][-1] == "cancelled"


async def test_a_restarted_server_polls_the_journaled_vendor_job(
    vstudio: Studio, vendors: Vendors
) -> None:
    hal = await vstudio.user("hal", credit=2 * VEO_8S)
    principal = await vstudio.app.state.api.auth.authenticate(hal["Authorization"])
    persistence = vstudio.persistence
    dead = build_jobs(vstudio.services, persistence)  # accepted two jobs, then died
    ask = TransformRequest(image=_png(), model=VEO, duration=8, target="instagram_reel",
                           prompt="waves roll in")
    polled, _ = await dead.submit("video", principal, ask)
    unknown, _ = await dead.submit("video", principal, ask)
    # The first had submitted its Veo job and journaled the operation name; the second
    # had sent its submit but died before the answer (its outcome is unknown).
    async with httpx.AsyncClient(transport=httpx.MockTransport(vendors.veo.handle_async)) as h:
        name = await VeoClient(h, "test-key").submit("veo-3.1-generate-preview",
                                                     prompt="waves roll in", image=None)
    async with persistence.db.engine.begin() as conn:
        await conn.execute(update(JobUnit).where(JobUnit.job_id == polled.id)
                           .values(sent_to="gemini", vendor_job_id=name, state="running"))
        await conn.execute(update(JobUnit).where(JobUnit.job_id == unknown.id)
                           .values(sent_to="gemini", state="running"))
    submitted = len(vendors.veo.submissions())

    restarted = build_jobs(vstudio.services, persistence)
    async with restarted.running():  # the app's runner holds the jobs lock: recover by hand
        assert await restarted.recover() == 2
        first = await _until_ended(restarted, principal.user_id, polled.id)
        second = await _until_ended(restarted, principal.user_id, unknown.id)

    assert len(vendors.veo.submissions()) == submitted  # nothing submitted again
    polls = [r for r in vendors.veo.calls if r.url.path == f"/v1beta/{name}"]
    assert polls  # the restarted server polled the journaled operation
    assert first.state == "succeeded" and first.cost_micros == VEO_8S
    assert second.state == "failed" and second.cost_micros == 0
    (unit,) = await restarted.units(unknown.id)
    assert "not sent again" in unit.message
    usage = await vstudio.usage(hal)
    assert usage["balance"]["micros"] == VEO_8S and usage["held"]["micros"] == 0


async def test_the_live_quote_is_the_price_the_transform_holds(
    vstudio: Studio, vendors: Vendors
) -> None:
    ivy = await vstudio.user("ivy", credit=VEO_8S)
    quote = "/api/image-studio/transform/quote"
    veo = await vstudio.client.post(quote, headers=ivy, json={
        "model": VEO, "duration": 8, "target": "instagram_reel", "prompt": "waves"})
    assert veo.status_code == 200, veo.text
    body = veo.json()
    assert body["quote"]["micros"] == VEO_8S and body["seconds"] == 8
    assert body["ai_generated"] is True and body["check"]["can_proceed"] is True
    wan_ask = {"model": WAN, "duration": 15, "target": "youtube", "prompt": "x"}
    wan = (await vstudio.client.post(quote, headers=ivy, json=wan_ask)).json()
    assert wan["quote"]["micros"] == 15 * 150_000 and wan["check"]["can_proceed"] is True
    local = (await vstudio.client.post(quote, headers=ivy, json={"duration": 6})).json()
    assert local["quote"]["micros"] == 0 and local["ai_generated"] is False
    bad = await vstudio.client.post(quote, headers=ivy, json={
        "model": VEO, "duration": 5, "prompt": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "duration"
    held = (await _submit(vstudio, ivy)).json()
    assert held["quote"]["micros"] == body["quote"]["micros"]
    assert (await until(vstudio, ivy, held["id"]))["cost"]["micros"] == VEO_8S
    spent = (await vstudio.client.post(quote, headers=ivy, json=wan_ask)).json()
    assert spent["check"]["can_proceed"] is False  # the balance went on the Veo clip
    assert spent["check"]["reasons"][0]["code"] == "insufficient_credits"
    models = (await vstudio.client.get("/api/image-studio/video-models", headers=ivy)).json()
    by_id = {m["id"]: m for m in models}
    assert by_id[VEO]["available"] and by_id[VEO]["durations_s"] == [4, 6, 8]
    assert by_id[WAN]["per_second"]["1080p"]["micros"] == 150_000
    assert by_id["local/motion-presets"]["ai_generated"] is False
