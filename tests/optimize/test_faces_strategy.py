"""The ``faces`` crop strategy through the optimize API: the drawn face kept in the story
crop; without OpenCV (the [faces] extra) the strategy is refused naming the field."""

from __future__ import annotations

import httpx
import pytest
from tests.imaging.scenes import FACE_BOX, face_scene

import imagestudio.optimize.service as service

OPT = "/api/image-studio/optimize"


async def _upload(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post("/api/image-studio/assets", headers=headers,
                                 files={"file": ("scene.jpg", face_scene(), "image/jpeg")})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_faces_keep_the_face_in_the_story_crop(api: tuple) -> None:
    pytest.importorskip("cv2")
    client, headers = api
    source = await _upload(client, headers)
    made = await client.post(OPT, headers=headers, json={
        "asset_id": source, "templates": ["instagram_story"], "strategy": "faces"})
    assert made.status_code == 200, made.text
    body = made.json()
    [story] = body["renditions"]
    x0, _, x1, _ = story["crop"]
    assert x0 * 1200 <= FACE_BOX[0] and FACE_BOX[2] <= x1 * 1200
    assert story["subject_in_safe_zone"] is True and body["strategy"] == "faces"


async def test_without_opencv_faces_is_refused_naming_the_field(
    api: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, headers = api
    source = await _upload(client, headers)
    before = (await client.get("/api/image-studio/assets", headers=headers)).json()
    monkeypatch.setattr(service, "faces_available", lambda: False)
    refused = await client.post(OPT, headers=headers, json={
        "asset_id": source, "templates": ["instagram_story"], "strategy": "faces"})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["details"]["field"] == "strategy" and "imagestudio[faces]" in error["message"]
    assert (await client.get("/api/image-studio/assets", headers=headers)).json() == before
