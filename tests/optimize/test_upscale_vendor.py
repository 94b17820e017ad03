"""Stability's sync upscalers: the emulator's contract, the client against it, and the
money path through the API (quote = hold = capture; a failed call is released)."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from PIL import Image
from tests.optimize.conftest import KEY, png, source_asset

from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.emulators.wavespeed import UPSCALER as WS_MODEL
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.optimize.upscale import load_modes
from imagestudio.providers.errors import ProviderBadRequest, ProviderTimeout
from imagestudio.providers.stability_upscale import StabilityUpscaler
from imagestudio.providers.wavespeed_upscale import WaveSpeedUpscaler
from imagestudio.settings import Settings

URL = "https://api.stability.ai/v2beta/stable-image/upscale"
AUTH = {"authorization": f"Bearer {KEY}", "accept": "image/*"}
FAST_PRICE = load_modes()["stability/fast"].price_micros


def _post(emulator: StabilityEmulator, mode: str, fields: dict[str, str], image: bytes,
          headers: dict[str, str] = AUTH) -> httpx.Response:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        return http.post(f"{URL}/{mode}", data=fields, files={"image": ("i", image)},
                         headers=headers)


def test_fast_returns_four_times_the_input(emulator: StabilityEmulator) -> None:
    response = _post(emulator, "fast", {"output_format": "jpeg"}, png(200, 100))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["finish-reason"] == "SUCCESS"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (800, 400)


@pytest.mark.parametrize(("mode", "fields", "size", "fragment"), [
    ("fast", {}, (20, 200), "between 32 and 1536"),
    ("fast", {}, (1100, 1000), "total pixels"),
    ("fast", {"prompt": "x"}, (100, 100), "prompt"),  # not a field of fast
    ("fast", {"output_format": "gif"}, (100, 100), "output_format"),
    ("conservative", {}, (100, 100), "prompt"),  # required
    ("conservative", {"prompt": "x", "creativity": "0.9"}, (100, 100), "creativity"),
    ("conservative", {"prompt": "x"}, (300, 100), "aspect ratio"),
])
def test_a_wrong_field_or_size_is_a_400_before_auth(
    emulator: StabilityEmulator, mode: str, fields: dict[str, str], size: tuple[int, int],
    fragment: str,
) -> None:
    response = _post(emulator, mode, fields, png(*size), headers={"accept": "image/*"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"id", "name", "errors"} and body["name"] == "bad_request"
    assert any(fragment in e for e in body["errors"]), body["errors"]


def test_good_fields_with_a_bad_key_are_a_401(emulator: StabilityEmulator) -> None:
    response = _post(emulator, "fast", {}, png(100, 100),
                     headers={"authorization": "Bearer wrong", "accept": "image/*"})
    assert response.status_code == 401 and response.json()["name"] == "unauthorized"


async def test_the_client_sends_what_the_contract_asks(emulator: StabilityEmulator) -> None:
    settings = Settings(_env_file=None, stability_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = StabilityUpscaler(settings.provider("stability"), client=http)
        fast = await client.upscale("fast", png(64, 64), output_format="png")
        assert (fast.width, fast.height) == (256, 256)
        conservative = await client.upscale("conservative", png(500, 400),
                                            output_format="jpeg")
        assert abs(conservative.width * conservative.height - 4_000_000) < 5_000
        with pytest.raises(ProviderBadRequest):
            await client.upscale("fast", png(2000, 100), output_format="png")
    assert len(emulator.requests("POST")) == 3


async def test_fast_through_the_api_is_held_and_captured_at_its_price(api: tuple) -> None:
    client, headers = api
    source = await source_asset(client, headers, (256, 192))
    response = await client.post("/api/image-studio/upscale", headers=headers,
                                 json={"asset_id": source, "mode": "stability/fast"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (1024, 768) and body["ai"] is True
    assert body["cost_micros"] == FAST_PRICE
    usage = (await client.get("/api/image-studio/usage", headers=headers)).json()
    assert usage["balance"]["micros"] == 1_000_000 - FAST_PRICE
    assert usage["quotas"]["upscale"]["used"] == 1


async def test_limits_refuse_before_money_moves_and_failures_release(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    big = await source_asset(client, headers, (1100, 1000))
    refused = await client.post("/api/image-studio/upscale", headers=headers,
                                json={"asset_id": big, "mode": "stability/fast"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "asset_id"
    assert emulator.requests("POST") == []  # never sent
    small = await source_asset(client, headers, (256, 192))
    emulator.fail_next(500)
    failed = await client.post("/api/image-studio/upscale", headers=headers,
                               json={"asset_id": small, "mode": "stability/fast"})
    assert failed.status_code == 502, failed.text
    usage = (await client.get("/api/image-studio/usage", headers=headers)).json()
    assert usage["balance"]["micros"] == 1_000_000 and usage["held"]["micros"] == 0
    assert usage["quotas"]["upscale"]["used"] == 0


CREATIVE_PRICE = load_modes()["stability/creative"].price_micros


def test_creative_walks_id_then_202s_then_the_image(emulator: StabilityEmulator) -> None:
    emulator.creative_polls = 2
    submitted = _post(emulator, "creative", {"prompt": "a cat", "output_format": "jpeg"},
                      png(128, 128))
    assert submitted.status_code == 200
    job_id = submitted.json()["id"]
    assert len(job_id) == 64 and set(submitted.json()) == {"id"}
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        url = f"https://api.stability.ai/v2beta/results/{job_id}"
        other = http.get(url, headers={"authorization": "Bearer other", "accept": "image/*"})
        assert other.status_code == 404 and other.json()["name"] == "generation_not_found"
        statuses = [http.get(url, headers=AUTH).status_code for _ in range(3)]
        assert statuses == [202, 202, 200]


async def test_creative_polls_and_a_timed_out_poll_resumes_without_resubmitting(
    emulator: StabilityEmulator,
) -> None:
    emulator.creative_polls = 3
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = Settings(_env_file=None, stability_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        impatient = StabilityUpscaler(settings.provider("stability"), client=http,
                                      sleep=sleep, poll_interval_s=10.0, poll_timeout_s=0.0)
        with pytest.raises(ProviderTimeout) as timed_out:
            await impatient.creative(png(128, 128), output_format="jpeg")
        resume_id = timed_out.value.details["resume_id"]
        patient = StabilityUpscaler(settings.provider("stability"), client=http,
                                    sleep=sleep, poll_interval_s=10.0, poll_timeout_s=600.0)
        image = await patient.creative(None, output_format="jpeg", resume_id=resume_id)
    assert abs(image.width * image.height - 3152 * 3152) < 10_000
    assert len(emulator.requests("POST")) == 1  # submitted once, paid once
    assert len(emulator.requests("GET")) == 4 and slept == [10.0, 10.0]


async def test_creative_resume_through_the_api_charges_once(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    source = await source_asset(client, headers, (128, 96))
    emulator.creative_polls = 0
    earlier = _post(emulator, "creative", {"prompt": "x", "output_format": "jpeg"},
                    png(128, 96))  # a request whose polling ran out of time
    response = await client.post("/api/image-studio/upscale", headers=headers, json={
        "asset_id": source, "mode": "stability/creative", "format": "jpeg",
        "resume_id": earlier.json()["id"],
    })
    assert response.status_code == 200, response.text
    assert response.json()["cost_micros"] == CREATIVE_PRICE
    assert len(emulator.requests("POST")) == 1  # the API sent no new submission
    usage = (await client.get("/api/image-studio/usage", headers=headers)).json()
    assert usage["balance"]["micros"] == 1_000_000 - CREATIVE_PRICE


def _ws_post(emulator: WaveSpeedEmulator, body: dict[str, object]) -> httpx.Response:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        return http.post(f"https://api.wavespeed.ai/api/v3/{WS_MODEL}", json=body,
                         headers={"Authorization": "Bearer ws-key"})


@pytest.mark.parametrize(("body", "fragment"), [
    ({"image": "ftp://x/y.png"}, "image"),
    ({"image": "data:image/png;base64,AAAA", "target_resolution": "16k"}, "target_resolution"),
    ({"image": "data:image/png;base64,AAAA", "output_format": "gif"}, "output_format"),
    ({}, "image"),
])
def test_wavespeed_upscaler_refuses_wrong_fields(body: dict[str, object], fragment: str) -> None:
    response = _ws_post(WaveSpeedEmulator("ws-key"), body)
    assert response.status_code == 400 and fragment in response.json()["message"]


async def test_wavespeed_upscaler_submits_once_polls_and_downloads() -> None:
    emulator = WaveSpeedEmulator("ws-key", polls_before_done=2)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    settings = Settings(_env_file=None, wavespeed_api_key="ws-key")
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = WaveSpeedUpscaler(settings.provider("wavespeed"), client=http, sleep=sleep,
                                   poll_interval_s=2.0)
        image = await client.upscale(png(300, 200), "image/png", target_resolution="2k",
                                     output_format="jpeg")
    assert (image.width, image.height) == (2048, 1365)
    [submit] = emulator.requests("POST")
    assert json.loads(submit.content)["image"].startswith("data:image/png;base64,")
    assert len(slept) == 3  # polled until the third answer said completed


async def test_the_modes_list_prices_limits_and_what_is_configured(api: tuple) -> None:
    client, headers = api
    response = await client.get("/api/image-studio/upscale/modes", headers=headers)
    assert response.status_code == 200
    modes = {m["id"]: m for m in response.json()}
    assert set(modes) == set(load_modes())
    assert modes["local"]["price"]["micros"] == 0 and modes["local"]["output"] == "size"
    assert modes["stability/fast"]["price"]["micros"] == FAST_PRICE
    assert modes["stability/fast"]["input"]["max_pixels"] == 1_048_576
    assert modes["stability/fast"]["available"] is True  # the emulator's key is set
    assert modes["wavespeed/image-upscaler"]["available"] is False  # no key


async def test_the_quote_is_the_charge_and_refuses_what_the_upscale_refuses(
    api: tuple, emulator: StabilityEmulator
) -> None:
    client, headers = api
    small = await source_asset(client, headers, (256, 192))
    quote = await client.post("/api/image-studio/upscale/quote", headers=headers,
                              json={"asset_id": small, "mode": "stability/fast"})
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["quote"]["micros"] == FAST_PRICE and (body["width"], body["height"]) == (
        1024, 768)
    assert body["check"]["can_proceed"] is True
    local = await client.post("/api/image-studio/upscale/quote", headers=headers,
                              json={"asset_id": small, "mode": "local", "scale": 4})
    assert local.json()["quote"]["micros"] == 0 and local.json()["width"] == 1024
    big = await source_asset(client, headers, (1100, 1000))
    refused = await client.post("/api/image-studio/upscale/quote", headers=headers,
                                json={"asset_id": big, "mode": "stability/fast"})
    assert refused.status_code == 422
    assert "1048576 pixels" in refused.json()["error"]["message"]
    missing = await client.post("/api/image-studio/upscale/quote", headers=headers,
                                json={"asset_id": small, "mode": "wavespeed/image-upscaler"})
    assert missing.status_code == 503, missing.text
    usage = (await client.get("/api/image-studio/usage", headers=headers)).json()
    assert usage["held"]["micros"] == 0 and usage["quotas"]["upscale"]["used"] == 0
    assert emulator.requests("POST") == []


async def test_a_creative_job_stores_its_id_and_a_resumed_one_polls_it(
    emulator: StabilityEmulator,
) -> None:
    from tests.providers.test_journal import Journal

    from imagestudio.providers.journal import journal_scope, unit_scope

    async def sleep(_seconds: float) -> None:
        return None

    emulator.creative_polls = 1
    settings = Settings(_env_file=None, stability_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = StabilityUpscaler(settings.provider("stability"), client=http, sleep=sleep,
                                   poll_interval_s=1.0, poll_timeout_s=600.0)
        journal = Journal()
        with journal_scope(journal), unit_scope(0):
            first = await client.creative(png(128, 128), output_format="jpeg")
        assert [entry[0] for entry in journal.log] == ["sent", "job"]
        stored = journal.log[1][2]

        resumed = Journal(resume={(0, "stability"): stored})  # a job run again after a stop
        with journal_scope(resumed), unit_scope(0):
            again = await client.creative(png(128, 128), output_format="jpeg")
    assert len(emulator.requests("POST")) == 1 and resumed.log == []  # polled only
    assert again.data == first.data
