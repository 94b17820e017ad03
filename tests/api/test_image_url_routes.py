"""``image_url`` wherever the API takes an input image besides edits: the library upload
(``POST /assets``) and the video transform. Fetched from a real loopback server when its
host is allowed; otherwise a 422 naming the field with nothing stored or queued."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.api.conftest import Api, png_bytes
from tests.api.image_server import ImageServer, image_server

from imagestudio.api.image_url import UrlPolicy

ASSETS = "/api/image-studio/assets"


@pytest.fixture
async def server(api: Api) -> AsyncIterator[ImageServer]:
    api.app.state.api.image_urls.policy = UrlPolicy(
        ("127.0.0.1",), max_bytes=300_000, max_pixels=4_000_000, timeout_s=3,
        development=True)
    async with image_server() as served:
        yield served


async def _count(api: Api) -> int:
    response = await api.client.get(f"{ASSETS}?limit=100", headers=api.alice)
    return len(response.json()["items"])


async def test_a_library_upload_by_url(api: Api, server: ImageServer) -> None:
    response = await api.client.post(ASSETS, headers=api.alice, data={
        "image_url": server.url("/photo.png"), "title": "From the web"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (128, 96) and body["title"] == "From the web"
    assert server.hits == ["/photo.png"]


async def test_bad_library_uploads_by_url_store_nothing(api: Api, server: ImageServer) -> None:
    cases = [
        ({"image_url": "http://10.0.0.8/a.png"}, None, "image_url", "not on this server"),
        ({"image_url": server.url("/page")}, None, "image_url", "content type text/html"),
        ({"image_url": server.url("/photo.png")}, png_bytes(), "file", "one of file and"),
        ({"title": "nothing"}, None, "file", "one of file and image_url"),
    ]
    for data, file, field, fragment in cases:
        files = {"file": ("a.png", file, "image/png")} if file else None
        response = await api.client.post(ASSETS, headers=api.alice, data=data, files=files)
        assert response.status_code == 422, (data, response.text)
        error = response.json()["error"]
        assert error["details"]["field"] == field and fragment in error["message"], error
    assert await _count(api) == 0
    assert server.hits == ["/page"]


async def test_a_transform_refuses_a_bad_image_url_and_queues_nothing(
    api: Api, server: ImageServer,
) -> None:
    production = UrlPolicy(("127.0.0.1",), max_bytes=300_000, max_pixels=4_000_000)
    api.app.state.api.image_urls.policy = production
    for data in ({"image_url": server.url("/photo.png")},
                 {"image_url": server.url("/photo.png"), "asset_id": "a1"}):
        response = await api.client.post("/api/image-studio/transform", headers=api.alice,
                                         data=data)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["field"] == "image_url"
    jobs = await api.client.get("/api/image-studio/jobs", headers=api.alice)
    assert jobs.status_code == 200 and jobs.json()["jobs"] == []
    assert server.hits == []
