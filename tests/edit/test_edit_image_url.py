"""``POST /api/image-studio/edit`` and ``/edit/preflight`` with ``image_url``: the image
fetched from a real loopback server and edited; a bad URL is a 422 naming the field,
with nothing fetched from a refused address, nothing stored and nothing spent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.api.image_server import ImageServer, image_server, png_bytes
from tests.edit.conftest import CREDIT, EditApi, png

EDIT = "/api/image-studio/edit"


@pytest.fixture
async def server() -> AsyncIterator[ImageServer]:
    async with image_server() as served:
        yield served


async def test_an_image_url_is_fetched_edited_and_stored_as_the_source(
    edit_api: EditApi, server: ImageServer,
) -> None:
    url = server.url("/photo.png")
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "image_url": url, "op": "rotate", "degrees": 90})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (96, 128) and body["warnings"] == []
    source = (await edit_api.client.get(f"/api/image-studio/assets/{body['source_asset_id']}",
                                        headers=edit_api.headers)).json()
    assert (source["width"], source["height"]) == (128, 96)
    made = (await edit_api.client.get(f"/api/image-studio/assets/{body['asset_id']}",
                                      headers=edit_api.headers)).json()
    assert made["parent_id"] == source["id"] and made["parameters"]["image_url"] == url
    # multipart: the URL as a form value beside an uploaded mask, for a paid vendor edit
    form = await edit_api.client.post(
        EDIT, headers=edit_api.headers, data={"image_url": url, "op": "erase"},
        files={"mask": ("m.png", png(128, 96, (255,), "L"), "image/png")})
    assert form.status_code == 200, form.text
    assert form.json()["engine"] == "stability/erase" and form.json()["cost_micros"] == 50_000
    assert len(edit_api.stability.requests("POST")) == 1
    assert server.hits == ["/photo.png", "/photo.png"]


async def test_preflight_fetches_but_stores_nothing(edit_api: EditApi,
                                                    server: ImageServer) -> None:
    response = await edit_api.client.post(f"{EDIT}/preflight", headers=edit_api.headers,
                                          json={"image_url": server.url("/photo.png"),
                                                "op": "remove-background"})
    assert response.status_code == 200, response.text
    assert response.json()["engine"] == "stability/remove-background"
    assert await edit_api.asset_count() == 0


async def test_bad_urls_are_422s_naming_image_url_and_cost_nothing(
    edit_api: EditApi, server: ImageServer,
) -> None:
    source = await edit_api.upload(png_bytes())
    cases: list[tuple[dict[str, object], str]] = [
        ({"image_url": "http://169.254.169.254/latest/meta-data/"}, "not on this server"),
        ({"image_url": server.url("/missing.png")}, "HTTP 404"),
        ({"image_url": server.url("/page")}, "content type text/html"),
        ({"image_url": server.url("/huge")}, "larger than 300000 bytes"),
        ({"image_url": server.url("/photo.png"), "asset_id": source},
         "one of asset_id, image and image_url"),
    ]
    for extra, fragment in cases:
        for op in ({"op": "remove-background"}, {"op": "flip", "direction": "vertical"}):
            response = await edit_api.client.post(EDIT, headers=edit_api.headers,
                                                  json={**op, **extra})
            assert response.status_code == 422, (extra, response.text)
            error = response.json()["error"]
            assert error["details"]["field"] == "image_url", error
            assert fragment in error["message"], error
    assert await edit_api.asset_count() == 1  # the library image only
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 0  # type: ignore[index]
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert edit_api.stability.requests("POST") == []
    assert "/photo.png" not in server.hits  # refused before fetching


async def test_a_loopback_url_is_refused_in_production_settings(
    edit_api: EditApi, server: ImageServer,
) -> None:
    edit_api.app.state.api.image_urls.policy = type(edit_api.app.state.api.image_urls.policy)(
        ("127.0.0.1",), max_bytes=300_000, max_pixels=4_000_000, development=False)
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, json={
        "image_url": server.url("/photo.png"), "op": "flip", "direction": "vertical"})
    assert response.status_code == 422
    assert "private, loopback or reserved" in response.json()["error"]["message"]
    assert server.hits == [] and await edit_api.asset_count() == 0
