"""The four curl examples of the original API, with their exact JSON bodies."""

import base64
import io

from PIL import Image
from tests.api.conftest import Api


async def _decodes(api: Api, url: str) -> Image.Image:
    response = await api.client.get(url)
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


async def test_example_1_generate_with_template(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/create",
        headers={**api.alice, "Content-Type": "application/json"},
        json={
            "prompt": "Modern coffee shop interior, cozy atmosphere",
            "template_id": "instagram_feed_square",
            "quality": "premium",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["template_id"] == "instagram_feed_square"
    variation = body["variations"][0]
    assert variation["status"] == "succeeded" and variation["b64_json"] is None
    image = await _decodes(api, variation["url"])
    assert image.size == (1080, 1080)


async def test_example_2_generate_with_custom_settings(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/create",
        headers={**api.alice, "Content-Type": "application/json"},
        json={
            "prompt": "Product photography of smartphone",
            "provider": "wavespeed",
            "model": "ideogram-v3-turbo",
            "width": 1080,
            "height": 1080,
            "style_preset": "photographic",
            "quality": "premium",
            "num_variations": 3,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "wavespeed/ideogram-v3-turbo" and body["num_succeeded"] == 3
    urls = {v["url"] for v in body["variations"]}
    assert len(urls) == 3
    for url in urls:
        assert (await _decodes(api, url)).size == (1080, 1080)


async def test_example_3_get_templates(api: Api) -> None:
    instagram = await api.client.get(
        "/api/image-studio/templates?platform=instagram", headers=api.alice
    )
    assert instagram.status_code == 200
    templates = instagram.json()["templates"]
    assert templates and {t["platform"] for t in templates} == {"instagram"}
    assert instagram.json()["total"] == len(templates)

    search = await api.client.get(
        "/api/image-studio/templates/search?query=product", headers=api.alice
    )
    assert search.status_code == 200 and search.json()["total"] > 0

    recommend = await api.client.get(
        "/api/image-studio/templates/recommend?use_case=product+showcase&platform=instagram",
        headers=api.alice,
    )
    assert recommend.status_code == 200
    hits = recommend.json()["templates"]
    assert hits and all(t["platform"] == "instagram" and t["score"] > 0 for t in hits)


async def test_example_4_estimate_cost(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/estimate-cost",
        headers={**api.alice, "Content-Type": "application/json"},
        json={
            "provider": "wavespeed",
            "model": "ideogram-v3-turbo",
            "operation": "generate",
            "num_images": 5,
            "width": 1080,
            "height": 1080,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["num_images"] == 5 and body["resolution"] == "1080x1080"
    assert body["total"]["micros"] == 5 * body["per_image"]["micros"] > 0
    assert body["currency"] == "USD"


async def test_base64_on_request(api: Api) -> None:
    body = await api.create(api.alice, response_format="b64_json")
    variation = body["variations"][0]  # type: ignore[index]
    data = base64.b64decode(variation["b64_json"])
    assert Image.open(io.BytesIO(data)).size == (96, 64)
    assert variation["url"] and variation["asset_id"]
