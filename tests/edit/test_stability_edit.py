"""Stability's edit endpoints (§1.7): the emulator's contract, the client against it,
and the money path through the API (quote = hold = capture; a failed edit is released)."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from tests.edit.conftest import CREDIT, KEY, EditApi, png

from imagestudio.edit.operations import load_operations
from imagestudio.emulators._multipart import parse_form_data
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.stability_edit import StabilityEditor
from imagestudio.settings import Settings

URL = "https://api.stability.ai/v2beta/stable-image/edit"
AUTH = {"authorization": f"Bearer {KEY}", "accept": "image/*"}
INPAINT_PRICE = load_operations()["stability/inpaint"].price_micros


def _post(emulator: StabilityEmulator, endpoint: str, fields: dict[str, str],
          files: dict[str, bytes], headers: dict[str, str] = AUTH) -> httpx.Response:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        return http.post(f"{URL}/{endpoint}", data=fields, headers=headers,
                         files={k: (k, v) for k, v in files.items()})


@pytest.mark.parametrize(("endpoint", "fields", "files", "fragment"), [
    ("erase", {"prompt": "x"}, {}, "prompt"),  # the spec lists it; the server takes none
    ("erase", {"grow_mask": "21"}, {}, "grow_mask"),
    ("inpaint", {}, {}, "prompt"),
    ("inpaint", {"prompt": "x", "grow_mask": "101"}, {}, "grow_mask"),
    ("outpaint", {}, {}, "left"),
    ("outpaint", {"left": "2001"}, {}, "left"),
    ("search-and-replace", {"prompt": "x"}, {}, "search_prompt"),
    ("search-and-recolor", {"prompt": "x"}, {}, "select_prompt"),
    ("remove-background", {"output_format": "jpeg"}, {}, "output_format"),
    ("remove-background", {}, {"mask": png(100, 100)}, "mask"),
    ("erase", {"mask": "white"}, {}, "mask"),  # a file, not a form field
    ("erase", {}, {"image": png(40, 300)}, "at least 64"),
    ("remove-background", {}, {"image": png(2100, 2100)}, "4194304"),
    ("search-and-replace", {"prompt": "x", "search_prompt": "y"}, {"image": png(300, 100)},
     "aspect ratio"),
])
def test_a_wrong_field_or_size_is_a_400_before_auth(
    endpoint: str, fields: dict[str, str], files: dict[str, bytes], fragment: str,
) -> None:
    emulator = StabilityEmulator(KEY)
    response = _post(emulator, endpoint, fields, {"image": png(100, 100), **files},
                     headers={"accept": "image/*"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"id", "name", "errors"} and body["name"] == "bad_request"
    assert any(fragment in e for e in body["errors"]), body["errors"]


def test_good_fields_with_a_bad_key_are_a_401() -> None:
    response = _post(StabilityEmulator(KEY), "erase", {}, {"image": png(100, 100)},
                     headers={"authorization": "Bearer wrong", "accept": "image/*"})
    assert response.status_code == 401 and response.json()["name"] == "unauthorized"


async def test_the_client_sends_what_each_endpoint_asks() -> None:
    emulator = StabilityEmulator(KEY)
    settings = Settings(_env_file=None, stability_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = StabilityEditor(settings.provider("stability"), client=http)
        image = png(200, 100)
        cases = [
            ("erase", {}, png(200, 100, (255,), "L"), (200, 100)),
            ("inpaint", {"prompt": "a cat"}, png(200, 100, (255,), "L"), (200, 100)),
            ("outpaint", {"left": "50", "up": "20"}, None, (250, 120)),
            ("search-and-replace", {"prompt": "a dog", "search_prompt": "cat"}, None, (200, 100)),
            ("search-and-recolor", {"prompt": "red", "select_prompt": "car"}, None, (200, 100)),
            ("remove-background", {}, None, (200, 100)),
        ]
        for endpoint, fields, mask, size in cases:
            made = await client.edit(endpoint, image, {"output_format": "png", **fields},
                                     mask=mask)
            assert (made.width, made.height) == size, endpoint
        with pytest.raises(ProviderBadRequest):
            await client.edit("erase", png(30, 30), {"output_format": "png"})
    posts = emulator.requests("POST")
    assert len(posts) == 7
    inpaint = {p.name: p for p in parse_form_data(posts[1].headers["content-type"],
                                                  posts[1].content)}
    assert inpaint["mask"].filename is not None and bytes(inpaint["prompt"].data) == b"a cat"


async def test_inpaint_through_the_api_is_held_and_captured_at_its_price(
    edit_api: EditApi,
) -> None:
    source = await edit_api.upload(png(256, 192))
    mask = Image.new("L", (256, 192), 0)
    mask.paste(255, (50, 50, 120, 120))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    response = await edit_api.client.post(
        "/api/image-studio/edit", headers=edit_api.headers,
        data={"asset_id": source, "op": "inpaint", "prompt": "a red ball", "seed": "7"},
        files={"mask": ("m.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "stability/inpaint" and body["cost_micros"] == INPAINT_PRICE
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - INPAINT_PRICE  # type: ignore[index]
    assert usage["held"]["micros"] == 0  # type: ignore[index]
    assert usage["quotas"]["image_edit"]["used"] == 1  # type: ignore[index]
    [sent] = edit_api.stability.requests("POST")
    parts = {p.name: p for p in parse_form_data(sent.headers["content-type"], sent.content)}
    assert sorted(parts) == ["image", "mask", "output_format", "prompt", "seed"]
    with Image.open(io.BytesIO(bytes(parts["mask"].data))) as sent_mask:
        assert sent_mask.size == (256, 192) and sent_mask.getpixel((60, 60)) == 255
    made = (await edit_api.client.get(f"/api/image-studio/assets/{body['asset_id']}",
                                      headers=edit_api.headers)).json()
    assert made["parent_id"] == source and made["provider"] == "stability"


async def test_a_failed_edit_costs_nothing(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(256, 192))
    before = await edit_api.asset_count()
    edit_api.stability.fail_next(500)
    failed = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                        json={"asset_id": source, "op": "remove-background"})
    assert failed.status_code == 502, failed.text
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert usage["held"]["micros"] == 0  # type: ignore[index]
    assert usage["quotas"]["image_edit"]["used"] == 0  # type: ignore[index]
    assert await edit_api.asset_count() == before


async def test_limits_refuse_before_money_moves(edit_api: EditApi) -> None:
    thin = await edit_api.upload(png(40, 300))
    refused = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                         json={"asset_id": thin, "op": "remove-background"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "image"
    assert edit_api.stability.requests("POST") == []


async def test_preflight_quotes_an_edit_and_spends_nothing(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(256, 192))
    response = await edit_api.client.post(
        "/api/image-studio/edit/preflight", headers=edit_api.headers,
        json={"asset_id": source, "op": "search-and-recolor", "prompt": "red",
              "select_prompt": "the car", "degrees": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["can_proceed"] and body["engine"] == "stability/search-and-recolor"
    assert body["quote"]["micros"] == load_operations()["stability/search-and-recolor"].price_micros
    assert body["operation"] == "image_edit" and body["warnings"] == [
        "search-and-recolor ignores degrees"]
    free = await edit_api.upload(png(256, 192), edit_api.free_headers)
    for _ in range(5):
        done = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.free_headers,
                                          json={"asset_id": free, "op": "blur"})
        assert done.status_code == 200
    refused = (await edit_api.client.post(
        "/api/image-studio/edit/preflight", headers=edit_api.free_headers,
        json={"asset_id": free, "op": "blur"})).json()
    assert refused["can_proceed"] is False
    assert edit_api.stability.requests("POST") == []
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
