"""``POST /api/image-studio/edit`` with the local operations: the result, its lineage,
the ``image_edit`` quota, and bad input refused before anything is stored or spent."""

from __future__ import annotations

import io

from PIL import Image
from tests.edit.conftest import CREDIT, EditApi, bomb, png

EDIT = "/api/image-studio/edit"


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


async def _file(api: EditApi, body: dict[str, object]) -> bytes:
    response = await api.client.get(str(body["url"]))
    assert response.status_code == 200
    return response.content


async def test_an_upload_is_rotated_stored_and_linked_to_its_source(edit_api: EditApi) -> None:
    response = await edit_api.client.post(
        EDIT, headers=edit_api.headers, data={"op": "rotate", "degrees": "90"},
        files={"image": ("s.png", png(120, 80), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (80, 120) and body["cost_micros"] == 0
    assert body["engine"] == "local/rotate" and body["format"] == "png"
    assert _size(await _file(edit_api, body)) == (80, 120)
    made = (await edit_api.client.get(f"/api/image-studio/assets/{body['asset_id']}",
                                      headers=edit_api.headers)).json()
    assert made["parent_id"] == body["source_asset_id"] and made["operation"] == "edit"
    assert made["parameters"]["op"] == "rotate" and made["parameters"]["degrees"] == 90
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 1  # type: ignore[index]
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]


async def test_local_operations_by_asset_id(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(400, 300))
    cases: list[tuple[dict[str, object], tuple[int, int]]] = [
        ({"op": "crop", "x": 10, "y": 20, "width": 100, "height": 50}, (100, 50)),
        ({"op": "crop", "template_id": "youtube_thumbnail"}, (1280, 720)),
        ({"op": "resize", "width": 200}, (200, 150)),
        ({"op": "flip", "direction": "vertical"}, (400, 300)),
        ({"op": "adjust", "brightness": 1.2, "warmth": 0.5}, (400, 300)),
        ({"op": "sharpen", "amount": 1.5}, (400, 300)),
        ({"op": "blur", "radius": 3}, (400, 300)),
        ({"op": "rotate", "degrees": 30}, (498, 460)),
    ]
    for fields, size in cases:
        response = await edit_api.client.post(EDIT, headers=edit_api.headers,
                                              json={"asset_id": source, **fields})
        assert response.status_code == 200, (fields, response.text)
        body = response.json()
        assert (body["width"], body["height"]) == size, fields
        assert _size(await _file(edit_api, body)) == size


async def test_warmth_warms_and_unused_fields_are_warnings(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(64, 64, (128, 128, 128)))
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, "op": "adjust", "warmth": 1.0, "degrees": 10})
    assert response.status_code == 200, response.text
    assert response.json()["warnings"] == ["adjust ignores degrees"]
    with Image.open(io.BytesIO(await _file(edit_api, response.json()))) as image:
        red, green, blue = image.convert("RGB").getpixel((5, 5))  # type: ignore[misc]
    assert red > green > blue


async def test_a_solid_background_goes_behind_a_cut_out(edit_api: EditApi) -> None:
    cut = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    cut.paste((250, 10, 10, 255), (25, 25, 75, 75))
    buffer = io.BytesIO()
    cut.save(buffer, "PNG")
    source = await edit_api.upload(buffer.getvalue())
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, "op": "background", "colour": "#00ff00"})
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(await _file(edit_api, response.json()))) as image:
        rgb = image.convert("RGB")
        assert rgb.getpixel((5, 5)) == (0, 255, 0) and rgb.getpixel((50, 50)) == (250, 10, 10)


async def test_bad_input_is_refused_and_nothing_is_stored_or_spent(
    edit_api: EditApi,
) -> None:
    before = await edit_api.asset_count()
    cases = [
        ({"op": "inpaint", "prompt": "a cat"}, png(200, 100), png(100, 100, (255,), "L"),
         422, "mask", "mask is 100x100; it must be the image's size, 200x100"),
        ({"op": "inpaint", "prompt": "a cat"}, png(200, 100), png(200, 100, (0,), "L"),
         422, "mask", "the mask is empty"),
        ({"op": "inpaint", "prompt": "a cat"}, png(200, 100), png(300, 300, (255,), "L"),
         422, "mask", "mask is 300x300"),
        ({"op": "inpaint"}, png(200, 100), png(200, 100, (255,), "L"),
         422, "prompt", "needs a prompt"),
        ({"op": "rotate"}, bomb(), None, 413, "file", "the limit is"),
        ({"op": "crop", "width": 500, "height": 10}, png(200, 100), None, 422, "width",
         "leaves the 200x100 image"),
        ({"op": "rotate", "degrees": 90}, png(200, 100), png(200, 100, (255,), "L"),
         422, "mask", "takes no mask"),
    ]
    for fields, image, mask, status, field, fragment in cases:
        files = {"image": ("s.png", image, "image/png")}
        if mask is not None:
            files["mask"] = ("m.png", mask, "image/png")
        response = await edit_api.client.post(EDIT, headers=edit_api.headers,
                                              data=fields, files=files)
        assert response.status_code == status, (fields, response.text)
        error = response.json()["error"]
        assert error["details"]["field"] == field, error
        assert fragment in error["message"], error
    assert await edit_api.asset_count() == before
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 0  # type: ignore[index]
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert edit_api.stability.requests("POST") == []


async def test_a_library_mask_is_checked_against_the_image(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(200, 100))
    mask = await edit_api.upload(png(100, 200, (255,), "L"))
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, "op": "erase", "mask_asset_id": mask})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "mask"


async def test_the_free_plans_edit_quota_applies(edit_api: EditApi) -> None:
    free = edit_api.free_headers
    source = await edit_api.upload(png(64, 64), free)
    statuses = []
    for _ in range(6):
        response = await edit_api.client.post(EDIT, headers=free, json={
            "asset_id": source, "op": "flip", "direction": "horizontal"})
        statuses.append(response.status_code)
    assert statuses == [200] * 5 + [429], statuses
    usage = await edit_api.usage(free)
    assert usage["quotas"]["image_edit"]["used"] == 5  # type: ignore[index]


async def test_operations_list_prices_and_availability(edit_api: EditApi) -> None:
    response = await edit_api.client.get(f"{EDIT}/operations", headers=edit_api.headers)
    assert response.status_code == 200
    found = {o["id"]: o for o in response.json()}
    assert found["local/crop"]["available"] and found["local/crop"]["price_micros"] == 0
    assert found["stability/outpaint"]["price_micros"] == 40_000
    assert found["stability/inpaint"]["mask"] == "required"


async def test_versions_and_revert(edit_api: EditApi) -> None:
    original = await edit_api.upload(png(120, 80))
    ids = [original]
    for fields in ({"op": "rotate", "degrees": 90}, {"op": "blur", "radius": 2}):
        response = await edit_api.client.post(EDIT, headers=edit_api.headers,
                                              json={"asset_id": ids[-1], **fields})
        assert response.status_code == 200, response.text
        ids.append(response.json()["asset_id"])
    history = (await edit_api.client.get(f"/api/image-studio/assets/{ids[1]}/versions",
                                         headers=edit_api.headers)).json()
    assert [a["id"] for a in history["ancestors"]] == [original]
    assert [a["id"] for a in history["descendants"]] == [ids[2]]
    reverted = await edit_api.client.post(f"/api/image-studio/assets/{ids[2]}/revert",
                                          headers=edit_api.headers, json={"to": original})
    assert reverted.status_code == 201, reverted.text
    copy = reverted.json()
    assert copy["parent_id"] == ids[2] and copy["operation"] == "revert"
    assert (copy["width"], copy["height"]) == (120, 80)
    first = (await edit_api.client.get(f"/api/image-studio/assets/{original}",
                                       headers=edit_api.headers)).json()
    assert copy["sha256"] == first["sha256"]
    full = (await edit_api.client.get(f"/api/image-studio/assets/{original}/versions",
                                      headers=edit_api.headers)).json()
    assert [a["id"] for a in full["descendants"]] == [*ids[1:], copy["id"]]
    stranger = await edit_api.upload(png(10, 10))
    refused = await edit_api.client.post(f"/api/image-studio/assets/{ids[2]}/revert",
                                         headers=edit_api.headers, json={"to": stranger})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "to"


async def test_a_keyed_retry_replays_the_first_edit(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(64, 48))
    headers = {**edit_api.headers, "Idempotency-Key": "edit-once-1"}
    body = {"asset_id": source, "op": "flip", "direction": "vertical"}
    first = await edit_api.client.post(EDIT, headers=headers, json=body)
    again = await edit_api.client.post(EDIT, headers=headers, json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["job_id"] == first.json()["job_id"]
    assert again.json()["asset_id"] == first.json()["asset_id"]
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 1  # type: ignore[index]
    other = await edit_api.client.post(EDIT, headers=headers,
                                       json={**body, "direction": "horizontal"})
    assert other.status_code == 409


async def test_a_malformed_json_body_is_a_422_naming_body(edit_api: EditApi) -> None:
    response = await edit_api.client.post(
        EDIT, content=b"", headers={**edit_api.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == "body"
