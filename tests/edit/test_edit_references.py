"""Reference images for instruction edits: library assets, uploaded ``reference`` files
and ``reference_urls`` (fetched like ``image_url``), counted against the engine's
``references``, decoded under the upload caps, sent to OpenAI as more ``image[]`` parts
and to Gemini as more ``inlineData`` parts (the emulators check the count)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image
from tests.api.image_server import ImageServer, image_server
from tests.edit.conftest import CREDIT, KEY, EditApi, bomb, png
from tests.edit.test_edit_jobs import ASYNC, until_done

from imagestudio.edit.operations import load_operations
from imagestudio.edit.schemas import EditCall, EditRequest, ReferenceImage, SourceImage
from imagestudio.emulators._multipart import parse_form_data
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.errors import InvalidRequest
from imagestudio.studio.job_kinds import _edit_request, _load_edit

EDIT = "/api/image-studio/edit"
OPERATIONS = load_operations()
OPENAI_PRICE = OPERATIONS["openai/gpt-image-1"].price_micros
GEMINI_PRO_PRICE = OPERATIONS["gemini/gemini-3-pro-image"].price_micros


@pytest.fixture
async def server() -> AsyncIterator[ImageServer]:
    async with image_server() as served:
        yield served


def _image_parts(request: httpx.Request) -> list[tuple[int, int]]:
    parts = parse_form_data(request.headers["content-type"], request.content)
    sizes = []
    for part in parts:
        if part.name == "image[]":
            with Image.open(io.BytesIO(bytes(part.data))) as image:
                sizes.append(image.size)
    return sizes


def _inline_sizes(request: httpx.Request) -> list[tuple[int, int]]:
    body = json.loads(request.content)
    sizes = []
    for part in body["contents"][0]["parts"]:
        if "inlineData" in part:
            data = base64.b64decode(part["inlineData"]["data"])
            with Image.open(io.BytesIO(data)) as image:
                sizes.append(image.size)
    return sizes


async def _nothing_spent(api: EditApi) -> None:
    usage = await api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert usage["quotas"]["image_edit"]["used"] == 0  # type: ignore[index]


async def test_library_references_go_to_openai_as_more_image_parts(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(256, 192))
    first = await edit_api.upload(png(100, 80, (200, 10, 10)))
    second = await edit_api.upload(png(90, 70, (10, 200, 10)))
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, "op": "instruct", "engine": "openai/gpt-image-1",
        "prompt": "put the red bottle on the table", "reference_asset_ids": [first, second]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cost_micros"] == OPENAI_PRICE and body["warnings"] == []
    [sent] = edit_api.openai.requests("POST")
    assert _image_parts(sent) == [(256, 192), (100, 80), (90, 70)]  # the image first
    made = (await edit_api.client.get(f"/api/image-studio/assets/{body['asset_id']}",
                                      headers=edit_api.headers)).json()
    assert made["parameters"]["reference_asset_ids"] == [first, second]
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - OPENAI_PRICE  # type: ignore[index]


async def test_uploaded_and_fetched_references_go_to_gemini_as_image_parts(
    edit_api: EditApi, server: ImageServer,
) -> None:
    response = await edit_api.client.post(
        EDIT, headers=edit_api.headers,
        data={"op": "instruct", "engine": "gemini/gemini-3-pro-image", "prompt": "blend",
              "reference_urls": server.url("/photo.png")},
        files=[("image", ("s.png", png(200, 150), "image/png")),
               ("reference", ("r1.png", png(64, 64), "image/png")),
               ("reference", ("r2.png", png(80, 60), "image/png"))])
    assert response.status_code == 200, response.text
    assert response.json()["cost_micros"] == GEMINI_PRO_PRICE
    [sent] = edit_api.gemini.requests("POST")
    # the image, the uploads in order, then the fetched one (128x96)
    assert _inline_sizes(sent) == [(200, 150), (64, 64), (80, 60), (128, 96)]
    assert server.hits == ["/photo.png"]
    assert await edit_api.asset_count() == 2  # the upload and the result, not references


async def test_more_references_than_the_engine_takes_cost_nothing(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(128, 128))
    refs = [await edit_api.upload(png(64, 64)) for _ in range(3)]
    cases = [  # (engine, op, references, fragment)
        ("gemini/gemini-2.5-flash-image", "instruct", refs, "at most 2 reference images; 3"),
        ("wavespeed/qwen-image-edit", "instruct", refs[:1], "no reference images; 1 given"),
        ("stability/sketch", "sketch", refs[:1], "no reference images"),
    ]
    for engine, op, given, fragment in cases:
        response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
            "asset_id": source, "op": op, "engine": engine, "prompt": "x",
            "reference_asset_ids": given})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["details"]["field"] == "references" and fragment in error["message"]
    # an upload refused for its references is not stored either
    upload = await edit_api.client.post(
        EDIT, headers=edit_api.headers,
        data={"op": "instruct", "engine": "wavespeed/qwen-image-edit", "prompt": "x"},
        files=[("image", ("s.png", png(128, 128), "image/png")),
               ("reference", ("r.png", png(64, 64), "image/png"))])
    assert upload.status_code == 422, upload.text
    assert await edit_api.asset_count() == 4
    for vendor in (edit_api.openai, edit_api.gemini, edit_api.wavespeed, edit_api.stability):
        assert vendor.requests("POST") == []
    await _nothing_spent(edit_api)


async def test_bad_references_are_refused_before_money_moves(
    edit_api: EditApi, server: ImageServer,
) -> None:
    source = await edit_api.upload(png(128, 128))
    engine = {"op": "instruct", "engine": "openai/gpt-image-1", "prompt": "x"}
    bombed = await edit_api.client.post(
        EDIT, headers=edit_api.headers, data={"asset_id": source, **engine},
        files=[("reference", ("b.png", bomb(), "image/png"))])
    assert bombed.status_code in (413, 422), bombed.text
    assert "pixels" in bombed.json()["error"]["message"]
    private = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, **engine,
        "reference_urls": ["http://169.254.169.254/latest/meta-data/"]})
    assert private.status_code == 422
    assert private.json()["error"]["details"]["field"] == "reference_urls"
    missing = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, **engine, "reference_asset_ids": ["nosuchasset"]})
    assert missing.status_code == 404, missing.text
    too_many = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "asset_id": source, **engine, "reference_asset_ids": [source] * 17})
    assert too_many.status_code == 422 and "reference_asset_ids" in too_many.text
    assert edit_api.openai.requests("POST") == [] and server.hits == []
    await _nothing_spent(edit_api)


def test_engines_refuse_references_over_their_limits() -> None:
    """(The API's test bodies are capped well under these sizes: the rule, directly.)"""
    gemini = OPERATIONS["gemini/gemini-3-pro-image"]
    gemini.check_references([(1000, 1000, 6_000_000)], 8_000_000)  # 14 MB together
    with pytest.raises(InvalidRequest, match="15000000 bytes of images per request") as exc:
        gemini.check_references([(1000, 1000, 6_000_000)] * 2, 4_000_000)
    assert exc.value.field == "references"
    with pytest.raises(InvalidRequest, match="reference 2 .* at most 15000000 bytes"):
        gemini.check_references([(10, 10, 100), (4000, 4000, 16_000_000)], 100)
    with pytest.raises(InvalidRequest, match="reference 1 .* sides between 1 and 16384"):
        OPERATIONS["openai/gpt-image-1"].check_references([(20000, 10, 1000)], 100)


async def test_references_survive_an_edit_as_a_job(edit_api: EditApi) -> None:
    response = await edit_api.client.post(
        EDIT, headers={**edit_api.headers, **ASYNC},
        data={"op": "instruct", "engine": "openai/gpt-image-1", "prompt": "x"},
        files=[("image", ("s.png", png(128, 128), "image/png")),
               ("reference", ("r.png", png(70, 50), "image/png"))])
    assert response.status_code == 202, response.text
    done = await until_done(edit_api, response.json()["id"])
    assert done["state"] == "succeeded", done
    [sent] = edit_api.openai.requests("POST")
    assert _image_parts(sent) == [(128, 128), (70, 50)]


def test_the_stored_job_brings_back_the_references() -> None:
    reference = ReferenceImage(sha256="e" * 64, media_type="image/png", width=70, height=50,
                               data=png(70, 50))
    call = EditCall(
        request=EditRequest(op="instruct", asset_id="a1", prompt="x"),
        source=SourceImage(asset_id="a1", sha256="f" * 64, width=20, height=10,
                           data=png(20, 10)),
        source_media_type="image/png", references=[reference])
    stored = _edit_request(call, None)  # type: ignore[arg-type]
    assert "data" not in stored["references"][0]
    again = _load_edit(json.loads(json.dumps(stored)))
    assert again.references == [reference] and again.references[0].data == reference.data


def test_the_openai_emulator_refuses_a_seventeenth_image() -> None:
    with httpx.Client(transport=httpx.MockTransport(OpenAIEmulator(KEY))) as http:
        response = http.post("https://api.openai.com/v1/images/edits",
                             headers={"Authorization": f"Bearer {KEY}"},
                             data={"model": "gpt-image-1", "prompt": "x"},
                             files=[("image[]", (f"{i}.png", png(16, 16))) for i in range(17)])
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "image"
