"""Every WaveSpeed video model the client knows, through the emulator: only the fields the
model declares are sent (WaveSpeed would drop the others silently: a stray field fails
here), a wrong value is a 400, and each job runs to an MP4. Then the catalog's newer
models through POST /transform: text-to-video refuses an image and is conformed to the
target; WAN 2.2 is priced at its only tier."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.credits.conftest import Studio
from tests.studio.test_jobs import until
from tests.video.conftest import MemoryJournal
from tests.video.test_vendor_transform import Vendors, _submit
from tests.video.test_wan_contract import BASE, STILL, FakeTime

from imagestudio.emulators.wavespeed_video import WAN_MODELS, WanVideoEmulator
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.journal import journal_scope, unit_scope
from imagestudio.providers.wan import FIELDS, WanVideoClient
from imagestudio.video.probe import probe
from imagestudio.video.vendor_jobs import run_vendor_job

pytest.importorskip("av")
T2V = "alibaba/wan-2.6/text-to-video"
BAD_DURATION = {  # a length each model's table refuses
    "alibaba/wan-2.6/image-to-video": 8, "alibaba/wan-2.5/image-to-video": 15,
    "alibaba/wan-2.5/image-to-video-fast": 15, T2V: 8,
    "wavespeed-ai/wan-2.2/i2v-480p": 10, "wavespeed-ai/wan-2.2/i2v-720p": 10,
    "kwaivgi/kling-v2.1-i2v-standard": 11,
    **{m: 7 for m in FIELDS if m.startswith("bytedance/seedance")},
}


def test_the_client_and_the_emulator_know_the_same_models() -> None:
    assert set(FIELDS) == set(WAN_MODELS) == set(BAD_DURATION)


async def _job(emulator: WanVideoEmulator, model: str, duration_s: int = 5) -> bytes:
    http = httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async))
    client = WanVideoClient(http, "test-key", BASE)
    fake = FakeTime()

    async def submit() -> str:
        return await client.submit(model, prompt="waves roll in", duration_s=duration_s,
                                   image=None if model == T2V else STILL,
                                   resolution="1080p", aspect_ratio="9:16")

    async with http:
        with journal_scope(MemoryJournal()), unit_scope(0):
            return await run_vendor_job(client, submit, interval_s=5, sleep=fake.sleep,
                                        clock=fake.clock)


@pytest.mark.parametrize("model", sorted(FIELDS))
async def test_each_model_gets_only_its_fields_and_makes_a_clip(model: str) -> None:
    emulator = WanVideoEmulator(polls_before_done=1)
    data = await _job(emulator, model)
    assert probe(data, count_frames=False).codec == "h264"
    [sent] = emulator.submissions()
    body = json.loads(sent.content)
    assert set(body) == FIELDS[model] and emulator.dropped == []
    assert ("image" in body) is (model != T2V)
    if model == T2V:
        assert body["size"] == "1080*1920"


@pytest.mark.parametrize("model", sorted(FIELDS))
async def test_a_length_the_model_does_not_make_is_a_400(model: str) -> None:
    emulator = WanVideoEmulator()
    with pytest.raises(ProviderBadRequest, match="duration"):
        await _job(emulator, model, BAD_DURATION[model])


async def test_a_field_a_model_lacks_is_dropped_by_the_emulator_as_by_wavespeed() -> None:
    emulator = WanVideoEmulator()
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async)) as raw:
        answer = await raw.post(
            f"{BASE}/api/v3/kwaivgi/kling-v2.1-i2v-standard",
            headers={"Authorization": "Bearer test-key"},
            json={"image": "https://x/a.png", "prompt": "p", "seed": 3, "resolution": "720p"})
    assert answer.status_code == 200 and emulator.dropped == ["resolution", "seed"]


@pytest.fixture
async def vstudio(studio_factory: Callable[..., Any]) -> tuple[Studio, Vendors]:
    vendors = Vendors()
    made: Studio = await studio_factory(
        http_clients=vendors.clients(), gemini_api_key="test-key",
        wavespeed_api_key="test-key", video_poll_interval_s=0.01,
    )
    return made, vendors


async def test_text_to_video_refuses_an_image_and_is_conformed(
    vstudio: tuple[Studio, Vendors],
) -> None:
    studio, vendors = vstudio
    dee = await studio.user("dee", credit=5 * 150_000)
    refused = await _submit(studio, dee, model="wavespeed/wan-2.6-t2v", duration="5")
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "image"
    response = await _submit(studio, dee, image=False, model="wavespeed/wan-2.6-t2v",
                             duration="5", target="youtube_shorts")
    assert response.status_code == 202, response.text
    assert response.json()["quote"]["micros"] == 5 * 150_000
    ended = await until(studio, dee, response.json()["id"])
    assert ended["state"] == "succeeded", ended
    video = ended["result"]["video"]
    assert (video["width"], video["height"], video["duration_s"]) == (1080, 1920, 5.0)
    body = json.loads(vendors.wan.submissions()[0].content)
    assert body["size"] == "1080*1920" and "image" not in body and vendors.wan.dropped == []


async def test_wan_2_2_is_priced_at_its_only_tier(vstudio: tuple[Studio, Vendors]) -> None:
    studio, vendors = vstudio
    eve = await studio.user("eve", credit=8 * 60_000)
    response = await _submit(studio, eve, model="wavespeed/wan-2.2-i2v-720p", duration="8")
    assert response.status_code == 202, response.text
    assert response.json()["quote"]["micros"] == 8 * 60_000
    ended = await until(studio, eve, response.json()["id"])
    assert ended["state"] == "succeeded" and ended["cost"]["micros"] == 8 * 60_000
    body = json.loads(vendors.wan.submissions()[0].content)
    assert "resolution" not in body and vendors.wan.dropped == []
