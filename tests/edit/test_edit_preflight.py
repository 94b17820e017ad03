"""``POST /edit/preflight`` as the Edit workspace calls it: multipart with the mask it has
drawn (or an uploaded image), checked exactly as ``POST /edit`` would; nothing is spent,
held or stored, and the vendor is never called."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from tests.edit.conftest import CREDIT, EditApi, png

from imagestudio.edit.operations import load_operations

PREFLIGHT = "/api/image-studio/edit/preflight"
INPAINT_PRICE = load_operations()["stability/inpaint"].price_micros


def drawn_mask(width: int, height: int, box: tuple[int, int, int, int] | None) -> bytes:
    """An opaque black PNG, white inside ``box`` (what the workspace's brush exports)."""
    image = Image.new("RGB", (width, height), (0, 0, 0))
    if box is not None:
        ImageDraw.Draw(image).rectangle(box, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def _preflight(edit_api: EditApi, fields: dict[str, str],
                     files: dict[str, bytes]) -> tuple[int, dict[str, object]]:
    response = await edit_api.client.post(
        PREFLIGHT, headers=edit_api.headers, data=fields,
        files={k: (f"{k}.png", v, "image/png") for k, v in files.items()})
    body: dict[str, object] = response.json()
    return response.status_code, body


async def test_a_drawn_mask_is_quoted_and_nothing_moves(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(256, 192))
    before = await edit_api.asset_count()
    status, body = await _preflight(
        edit_api, {"asset_id": source, "op": "inpaint", "prompt": "a red ball"},
        {"mask": drawn_mask(256, 192, (10, 10, 60, 60))})
    assert status == 200, body
    assert body["can_proceed"] is True and body["engine"] == "stability/inpaint"
    assert body["quote"]["micros"] == INPAINT_PRICE  # type: ignore[index]
    assert edit_api.stability.requests("POST") == []
    assert await edit_api.asset_count() == before
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert usage["held"]["micros"] == 0  # type: ignore[index]


async def test_a_drawn_mask_is_checked_like_the_edit(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(256, 192))
    fields = {"asset_id": source, "op": "inpaint", "prompt": "a red ball"}
    status, body = await _preflight(edit_api, fields, {"mask": drawn_mask(256, 192, None)})
    assert status == 422
    error = body["error"]
    assert error["details"]["field"] == "mask"  # type: ignore[index]
    assert "the mask is empty" in error["message"]  # type: ignore[index]
    status, body = await _preflight(edit_api, fields,
                                    {"mask": drawn_mask(128, 96, (0, 0, 20, 20))})
    assert status == 422
    assert "must be the image's size, 256x192" in body["error"]["message"]  # type: ignore[index]
    status, body = await _preflight(edit_api, fields, {"other": b"x"})
    assert status == 422 and body["error"]["details"]["field"] == "other"  # type: ignore[index]
    assert edit_api.stability.requests("POST") == []


async def test_an_uploaded_image_is_quoted_but_not_stored(edit_api: EditApi) -> None:
    before = await edit_api.asset_count()
    status, body = await _preflight(edit_api, {"op": "rotate", "degrees": "90"},
                                    {"image": png(120, 80)})
    assert status == 200, body
    assert body["engine"] == "local/rotate" and body["quote"]["micros"] == 0  # type: ignore[index]
    assert await edit_api.asset_count() == before


async def test_json_preflight_still_works_and_a_bad_body_is_one_422(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(256, 192))
    response = await edit_api.client.post(PREFLIGHT, headers=edit_api.headers,
                                          json={"asset_id": source, "op": "blur"})
    assert response.status_code == 200 and response.json()["engine"] == "local/blur"
    malformed = await edit_api.client.post(
        PREFLIGHT, headers={**edit_api.headers, "content-type": "application/json"},
        content=b"{not json")
    assert malformed.status_code == 422
    assert malformed.json()["error"]["details"]["field"] == "body"
