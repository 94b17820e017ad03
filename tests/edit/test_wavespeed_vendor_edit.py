"""WaveSpeed's edit models as vendor engines: the emulator's per-model contract (the
image field's own name, ``size`` ranges, enums: a wrong one is a 400), the client
against it (submitted once, polled, downloaded), and ``op: instruct`` through the API."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from tests.edit.conftest import CREDIT, KEY, EditApi, png

from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.wavespeed_edit import (
    KONTEXT_PRO,
    QWEN_EDIT,
    SEEDREAM_EDIT,
    WaveSpeedEditor,
    size_within,
)
from imagestudio.settings import Settings

BASE = "https://api.wavespeed.ai/api/v3/"
URI = "data:image/png;base64," + base64.b64encode(png(300, 200)).decode()


async def no_sleep(_: float) -> None:
    return None


@pytest.mark.parametrize(("model", "body", "fragment"), [
    (QWEN_EDIT, {"prompt": "x", "images": [URI]}, "images"),  # qwen takes one `image`
    (SEEDREAM_EDIT, {"prompt": "x", "image": URI}, "image"),  # seedream takes `images`
    (QWEN_EDIT, {"prompt": "x", "image": URI, "size": "2048*1024"}, "256..1536"),
    (SEEDREAM_EDIT, {"prompt": "x", "images": [URI], "size": "512*512"}, "1024..4096"),
    (SEEDREAM_EDIT, {"prompt": "x", "images": [URI] * 11}, "images"),
    (KONTEXT_PRO, {"prompt": "x", "image": URI, "output_format": "webp"}, "output_format"),
    (KONTEXT_PRO, {"prompt": "x", "image": "/etc/passwd"}, "image URL or a data: URI"),
    (QWEN_EDIT, {"image": URI}, "prompt"),
])
def test_a_wrong_field_is_a_400(model: str, body: dict[str, object], fragment: str) -> None:
    with httpx.Client(transport=httpx.MockTransport(WaveSpeedEmulator(KEY))) as http:
        response = http.post(BASE + model, json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["message"]


def test_sizes_keep_the_shape_within_each_models_range() -> None:
    assert size_within(300, 200, 256, 1536) == "384*256"
    assert size_within(3000, 2000, 256, 1536) == "1536*1024"
    assert size_within(3000, 2000, 1024, 4096) == "3000*2000"
    assert size_within(5000, 500, 1024, 4096) is None  # too long for the range: omitted


@pytest.mark.parametrize(("model", "fields", "size"), [
    (QWEN_EDIT, {"image", "prompt", "size", "seed", "output_format"}, (384, 256)),
    (KONTEXT_PRO, {"image", "prompt", "seed", "output_format"}, (300, 200)),
    (SEEDREAM_EDIT, {"images", "prompt", "size"}, (1536, 1024)),
])
async def test_the_client_sends_each_models_own_fields(
    model: str, fields: set[str], size: tuple[int, int],
) -> None:
    emulator = WaveSpeedEmulator(KEY, polls_before_done=1)
    settings = Settings(_env_file=None, wavespeed_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = WaveSpeedEditor(settings.provider("wavespeed"), client=http, sleep=no_sleep)
        made = await client.edit(model, png(300, 200), "image/png", (300, 200), "make it blue",
                                 output_format="png", seed=5)
        assert (made.width, made.height) == size
        with pytest.raises(ProviderBadRequest):
            await client.edit("wavespeed-ai/unknown", png(8, 8), "image/png", (8, 8), "x",
                              output_format="png")
    [submit] = emulator.requests("POST")
    assert set(json.loads(submit.content)) == fields
    assert len(emulator.requests("GET", "/api/v3/predictions/")) == 2  # polled, not re-sent


async def test_instruct_by_wavespeed_through_the_api_is_charged(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(400, 300))
    response = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                          json={"asset_id": source, "op": "instruct",
                                                "engine": "wavespeed/qwen-image-edit",
                                                "prompt": "make it blue", "seed": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cost_micros"] == 20_000 and body["model"] == QWEN_EDIT
    assert body["warnings"] == [] and body["format"] == "png"
    assert (body["width"], body["height"]) == (400, 300)
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - 20_000  # type: ignore[index]
    [submit] = edit_api.wavespeed.requests("POST")
    assert json.loads(submit.content)["seed"] == 3


async def test_a_failed_wavespeed_edit_costs_nothing(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(400, 300))
    edit_api.wavespeed.jobs_fail("Emulated inference failure")
    response = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                          json={"asset_id": source, "op": "instruct",
                                                "engine": "wavespeed/flux-kontext-pro",
                                                "prompt": "make it blue"})
    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "generation_failed"
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert await edit_api.asset_count() == 1
