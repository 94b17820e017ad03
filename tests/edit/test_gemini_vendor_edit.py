"""Gemini image edits (``generateContent`` with an image part) as a vendor engine: the
emulator's contract (a wrong field or a bad image part is a 400), the client against it,
and ``op: instruct`` with ``engine: gemini/…`` through the API, priced from the catalog."""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
from PIL import Image
from tests.edit.conftest import CREDIT, KEY, EditApi, png

from imagestudio.catalog import load_catalog
from imagestudio.edit.operations import load_operations
from imagestudio.emulators.gemini import GeminiEmulator
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.gemini_edit import GeminiEditor
from imagestudio.settings import Settings

MODEL = "gemini-3-pro-image-preview"
URL = f"https://generativelanguage.googleapis.com/v1beta/models/{MODEL}:generateContent"


def _part(data: bytes, mime: str = "image/png") -> dict[str, object]:
    return {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}


def _body(*parts: dict[str, object]) -> dict[str, object]:
    return {"contents": [{"role": "user", "parts": [*parts, {"text": "make it blue"}]}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(("body", "fragment"), [
    (_body({"inline_data": {"mimeType": "image/png", "data": ""}}), "inline_data"),
    (_body({"inlineData": {"mime_type": "image/png", "data": ""}}), "mime_type"),
    (_body(_part(png(64, 64), "image/gif")), "unsupported MIME type image/gif"),
    (_body(_part(_jpeg(), "image/png")), "data is JPEG, declared image/png"),
    (_body({"inlineData": {"mimeType": "image/png", "data": "not base64!"}}),
     "not a readable image"),
    (_body(*[_part(png(8, 8))] * 15), "at most 14 images"),
])
def test_a_wrong_field_or_image_part_is_a_400(body: dict[str, object], fragment: str) -> None:
    with httpx.Client(transport=httpx.MockTransport(GeminiEmulator(KEY))) as http:
        response = http.post(URL, json=body, headers={"x-goog-api-key": KEY})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and fragment in error["message"], error


async def test_the_client_sends_the_image_part_then_the_instruction() -> None:
    emulator = GeminiEmulator(KEY)
    settings = Settings(_env_file=None, gemini_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = GeminiEditor(settings.provider("gemini"), client=http)
        made = await client.edit(MODEL, [(png(600, 340), "image/png")], "make it blue")
        # no aspectRatio sent: the emulator keeps the input's shape (nearest ratio, 16:9)
        assert (made.width, made.height) == (1376, 768) and made.media_type == "image/png"
        with pytest.raises(ProviderBadRequest):
            await client.edit(MODEL, [(png(8, 8), "image/gif")], "make it blue")
    small = GeminiEmulator(KEY, max_inline_bytes=100)  # the cap is unconfirmed: settable
    async with httpx.AsyncClient(transport=httpx.MockTransport(small)) as http:
        client = GeminiEditor(settings.provider("gemini"), client=http)
        with pytest.raises(ProviderBadRequest):
            await client.edit(MODEL, [(png(64, 64), "image/png")], "make it blue")
    sent = emulator.requests("POST")[0]
    assert sent.headers["x-goog-api-key"] == KEY and "key=" not in str(sent.url)
    parts = json.loads(sent.content)["contents"][0]["parts"]
    assert list(parts[0]) == ["inlineData"] and parts[1] == {"text": "make it blue"}


def test_the_edit_prices_are_the_catalogs() -> None:
    catalog, operations = load_catalog(), load_operations()
    for op_id, model_id in (("gemini/gemini-3-pro-image", "gemini/gemini-3-pro-image"),
                            ("gemini/gemini-2.5-flash-image", "gemini/gemini-2.5-flash-image")):
        rule = catalog.models[model_id].pricing.rule
        price = getattr(rule, "micros", None) or rule.table["1K"]  # type: ignore[union-attr]
        assert operations[op_id].price_micros == price, op_id


async def test_instruct_by_gemini_through_the_api_is_charged_and_converted(
    edit_api: EditApi,
) -> None:
    source = await edit_api.upload(png(300, 300))
    response = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                          json={"asset_id": source, "op": "instruct",
                                                "engine": "gemini/gemini-3-pro-image",
                                                "prompt": "make it blue", "format": "jpeg",
                                                "seed": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cost_micros"] == 134_000 and body["model"] == MODEL
    assert body["warnings"] == ["instruct ignores seed"]
    assert (body["width"], body["height"]) == (1024, 1024) and body["format"] == "jpeg"
    file = await edit_api.client.get(body["url"])
    assert file.content[:3] == b"\xff\xd8\xff"  # Gemini's PNG, converted as asked
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - 134_000  # type: ignore[index]
    mask = await edit_api.upload(png(300, 300, (255,), "L"))
    refused = await edit_api.client.post("/api/image-studio/edit", headers=edit_api.headers,
                                         json={"asset_id": source, "op": "instruct",
                                               "engine": "gemini/gemini-3-pro-image",
                                               "prompt": "x", "mask_asset_id": mask})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "mask"
    assert len(edit_api.gemini.requests("POST")) == 1


async def test_a_gif_is_sent_to_gemini_as_png(edit_api: EditApi) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (10, 200, 10)).save(buffer, "GIF")
    response = await edit_api.client.post(
        "/api/image-studio/edit", headers=edit_api.headers,
        data={"op": "instruct", "engine": "gemini/gemini-2.5-flash-image", "prompt": "x"},
        files={"image": ("s.gif", buffer.getvalue(), "image/gif")})
    assert response.status_code == 200, response.text
    [sent] = edit_api.gemini.requests("POST")
    part = json.loads(sent.content)["contents"][0]["parts"][0]["inlineData"]
    assert part["mimeType"] == "image/png"
