import io
import zipfile

import numpy as np
from PIL import Image
from tests.api.conftest import Api

OPT = "/api/image-studio/optimize"
A = "/api/image-studio/assets"
FIVE = ["instagram", "linkedin", "youtube", "pinterest", "email"]


def _photo_jpeg(width: int = 1600, height: int = 1200) -> bytes:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([120 + 60 * np.sin(x / 90), 60 + 150 * x / width, 200 - 120 * y / height], -1)
    d = np.hypot(x - 0.75 * width, y - 0.4 * height)
    img[d < 120] = (220, 30, 30)
    buffer = io.BytesIO()
    Image.fromarray(img.astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def _upload(api: Api, headers: dict[str, str]) -> str:
    response = await api.client.post(
        A, files={"file": ("photo.jpg", _photo_jpeg(), "image/jpeg")}, headers=headers
    )
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["id"]
    return asset_id


async def _count(api: Api, headers: dict[str, str]) -> int:
    response = await api.client.get(A, params={"limit": 200}, headers=headers)
    return len(response.json()["items"])


async def test_optimize_makes_linked_assets_at_exact_pixels_counted_once(api: Api) -> None:
    source = await _upload(api, api.alice)
    response = await api.client.post(OPT, json={"asset_id": source, "platforms": FIVE},
                                     headers=api.alice)
    assert response.status_code == 200, response.text
    body = response.json()
    catalog = api.services.catalog
    expected = [t.id for t in catalog.templates.values() if t.platform in FIVE]
    assert [r["template_id"] for r in body["renditions"]] == expected
    for rendition in body["renditions"]:
        template = catalog.templates[rendition["template_id"]]
        assert rendition["within_limit"] and rendition["bytes"] <= rendition["max_bytes"]
        asset = (await api.client.get(f"{A}/{rendition['asset_id']}", headers=api.alice)).json()
        assert asset["parent_id"] == source and asset["operation"] == "optimize"
        assert asset["generation_id"] == body["set_id"]
        assert asset["parameters"]["quality"] == rendition["quality"]
        assert asset["template_id"] == template.id and asset["platform"] == template.platform
        content = await api.client.get(rendition["url"])
        assert content.status_code == 200
        with Image.open(io.BytesIO(content.content)) as image:
            assert image.size == (template.width, template.height)
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["optimize"]["used"] == 1
    assert usage["balance"]["micros"] == 10_000_000  # free


async def test_the_set_downloads_as_a_zip_named_by_platform_and_template(api: Api) -> None:
    source = await _upload(api, api.alice)
    body = (await api.client.post(
        OPT, json={"asset_id": source, "templates": ["instagram_story", "email_banner"]},
        headers=api.alice,
    )).json()
    response = await api.client.get(f"{OPT}/{body['set_id']}/zip", headers=api.alice)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["email/email_banner.jpg",
                                              "instagram/instagram_story.jpg"]
        with Image.open(io.BytesIO(archive.read("email/email_banner.jpg"))) as image:
            assert image.size == (
                api.services.catalog.templates["email_banner"].width,
                api.services.catalog.templates["email_banner"].height,
            )
    other = await api.client.get(f"{OPT}/{body['set_id']}/zip", headers=api.bob)
    assert other.status_code == 404


async def test_the_focal_point_is_remembered_and_used_next_time(api: Api) -> None:
    source = await _upload(api, api.alice)
    first = (await api.client.post(OPT, json={
        "asset_id": source, "templates": ["instagram_story"], "focal": {"x": 0.1, "y": 0.5},
    }, headers=api.alice)).json()
    assert first["renditions"][0]["crop"][0] == 0.0  # the crop hugs the left edge
    asset = (await api.client.get(f"{A}/{source}", headers=api.alice)).json()
    assert asset["focal_point"] == [0.1, 0.5]
    again = (await api.client.post(OPT, json={"asset_id": source, "templates": ["pinterest_pin"]},
                                   headers=api.alice)).json()
    assert again["focal"] == {"x": 0.1, "y": 0.5} and again["strategy"] == "focal"


async def test_preview_renders_small_and_stores_nothing(api: Api) -> None:
    source = await _upload(api, api.alice)
    before = await _count(api, api.alice)
    response = await api.client.post(f"{OPT}/preview", json={
        "asset_id": source, "platforms": ["instagram"], "focal": {"x": 0.7, "y": 0.4},
    }, headers=api.alice)
    assert response.status_code == 200, response.text
    previews = response.json()["previews"]
    assert len(previews) == 5
    for preview in previews:
        assert preview["image"].startswith("data:image/jpeg;base64,")
        assert max(preview["width"], preview["height"]) >= 1080  # the real size is reported
    assert await _count(api, api.alice) == before
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["optimize"]["used"] == 0


async def test_bad_requests_name_the_field_and_store_nothing(api: Api) -> None:
    source = await _upload(api, api.alice)
    before = await _count(api, api.alice)
    cases = [
        ({"asset_id": source, "templates": ["nope"]}, 422, "templates"),
        ({"asset_id": source, "platforms": ["myspace"]}, 422, "platforms"),
        ({"asset_id": source}, 422, "platforms"),
        ({"asset_id": source, "all": True, "focal": {"x": 1.5, "y": 0}}, 422, None),
        ({"asset_id": source, "all": True, "background": "red"}, 422, None),
    ]
    for body, status, field in cases:
        response = await api.client.post(OPT, json=body, headers=api.alice)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        if field:
            assert error["details"].get("field") == field or field in error["message"]
    stolen = await api.client.post(OPT, json={"asset_id": source, "all": True}, headers=api.bob)
    assert stolen.status_code == 404
    assert await _count(api, api.alice) == before
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["optimize"]["used"] == 0


async def test_local_upscale_is_free_linked_and_labelled_not_ai(api: Api) -> None:
    source = await _upload(api, api.alice)
    response = await api.client.post("/api/image-studio/upscale",
                                     json={"asset_id": source, "scale": 2}, headers=api.alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (3200, 2400)
    assert body["ai"] is False and "not AI" in body["label"]
    asset = (await api.client.get(f"{A}/{body['asset_id']}", headers=api.alice)).json()
    assert asset["parent_id"] == source and asset["operation"] == "upscale"
    assert asset["parameters"]["ai"] is False
    content = await api.client.get(body["url"])
    with Image.open(io.BytesIO(content.content)) as image:
        assert image.size == (3200, 2400)
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["upscale"]["used"] == 1
    assert usage["balance"]["micros"] == 10_000_000


async def test_upscale_limits_are_checked_before_anything_runs(api: Api) -> None:
    source = await _upload(api, api.alice)
    before = await _count(api, api.alice)
    cases = [
        ({"asset_id": source, "width": 1000}, "width"),  # not an enlargement
        ({"asset_id": source, "width": 3200, "height": 1000}, "height"),  # aspect
        ({"asset_id": source}, None),
        ({"asset_id": source, "scale": 3}, None),
    ]
    for body, field in cases:
        response = await api.client.post("/api/image-studio/upscale", json=body,
                                         headers=api.alice)
        assert response.status_code == 422, (body, response.text)
        if field:
            assert response.json()["error"]["details"].get("field") == field
    too_big = await api.client.post("/api/image-studio/upscale",
                                    json={"asset_id": source, "width": 8192},
                                    headers=api.alice)
    assert too_big.status_code == 422 and "limit" in too_big.json()["error"]["message"]
    assert await _count(api, api.alice) == before
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["upscale"]["used"] == 0


async def test_wavespeed_upscale_is_charged_its_price(api: Api) -> None:
    square = await _upload(api, api.alice)  # 1600x1200: 4096x3072 out, over Pro's 4K
    refused = await api.client.post("/api/image-studio/upscale", headers=api.alice,
                                    json={"asset_id": square, "mode": "wavespeed/image-upscaler"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"]["limit"] == "max_pixels"
    assert api.wavespeed.requests("POST") == []  # refused before anything was sent
    wide = (await api.client.post(
        A, files={"file": ("wide.jpg", _photo_jpeg(1600, 600), "image/jpeg")}, headers=api.alice,
    )).json()["id"]
    response = await api.client.post("/api/image-studio/upscale", headers=api.alice,
                                     json={"asset_id": wide, "mode": "wavespeed/image-upscaler"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (4096, 1536) and body["ai"] is True
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["balance"]["micros"] == 10_000_000 - body["cost_micros"]
    assert body["cost_micros"] == 10_000


async def test_upscale_to_platform_enlarges_the_source_once_first(api: Api) -> None:
    source = await _upload(api, api.alice)  # 1600x1200; channel art is 2560x1440
    body = {"asset_id": source, "templates": ["youtube_channel_art", "email_banner"]}
    plain = (await api.client.post(OPT, json=body, headers=api.alice)).json()
    assert any("youtube_channel_art: the source has fewer pixels" in w
               for w in plain["warnings"])
    upscaled = await api.client.post(OPT, json={**body, "upscale": "local"}, headers=api.alice)
    assert upscaled.status_code == 200, upscaled.text
    made = upscaled.json()
    assert made["warnings"][0].startswith("the source was upscaled locally ×1.60")
    assert not any("fewer pixels" in w for w in made["warnings"])
    art = made["renditions"][0]
    asset = (await api.client.get(f"{A}/{art['asset_id']}", headers=api.alice)).json()
    assert asset["parameters"]["upscaled"] == 1.6
    with Image.open(io.BytesIO((await api.client.get(art["url"])).content)) as image:
        assert image.size == (2560, 1440)
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["optimize"]["used"] == 2 and usage["quotas"]["upscale"]["used"] == 0


async def test_a_vendor_mode_without_its_key_is_refused_before_anything(api: Api) -> None:
    source = await _upload(api, api.alice)
    before = await _count(api, api.alice)
    response = await api.client.post("/api/image-studio/upscale", headers=api.alice,
                                     json={"asset_id": "x" * 8, "mode": "stability/fast"})
    assert response.status_code == 404  # not your asset: nothing else is looked at
    small = (await api.client.post(
        A, files={"file": ("s.jpg", _photo_jpeg(400, 300), "image/jpeg")}, headers=api.alice,
    )).json()["id"]
    response = await api.client.post("/api/image-studio/upscale", headers=api.alice,
                                     json={"asset_id": small, "mode": "stability/fast"})
    assert response.status_code == 503, response.text
    assert "STABILITY_API_KEY" in response.json()["error"]["message"]
    assert await _count(api, api.alice) == before + 1  # only the upload
    usage = (await api.client.get("/api/image-studio/usage", headers=api.alice)).json()
    assert usage["quotas"]["upscale"]["used"] == 0 and usage["held"]["micros"] == 0
    assert source
