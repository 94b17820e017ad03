"""The Create Studio's support routes over a real ``imagestudio serve``: provider health,
style previews drawn by the offline renderer, and the history of past creates."""

from __future__ import annotations

import base64
import io

import httpx
from PIL import Image
from tests.web.harness import Studio

UI = "/api/image-studio/ui"


def get(studio: Studio, path: str, **params: object) -> httpx.Response:
    return httpx.get(studio.base_url + path, params=params,
                     headers={"Authorization": f"Bearer {studio.key}"}, timeout=60)


def test_provider_status_lists_configured_providers(studio: Studio) -> None:
    answer = get(studio, f"{UI}/provider-status").json()
    assert answer == {"providers": [{"id": "local", "state": "ok", "retry_in_s": 0.0}]}
    assert httpx.get(studio.base_url + f"{UI}/provider-status").status_code == 401


def test_style_previews_are_drawn_offline(studio: Studio) -> None:
    styles = get(studio, f"{UI}/style-previews").json()["styles"]
    catalog = get(studio, f"{UI}/session").json()["styles"]
    assert [s["id"] for s in styles] == [s["id"] for s in catalog]
    images = set()
    for style in styles:
        prefix = "data:image/png;base64,"
        assert style["image"].startswith(prefix)
        data = base64.b64decode(style["image"][len(prefix):])
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (96, 96)
        images.add(data)
    assert len(images) == len(styles)  # each style looks different


def test_history_lists_past_creates_with_their_images(studio: Studio) -> None:
    body = {"prompt": "History route check", "num_variations": 2, "aspect_ratio": "16:9"}
    created = httpx.post(studio.base_url + "/api/image-studio/create", json=body, timeout=60,
                         headers={"Authorization": f"Bearer {studio.key}"}).json()
    items = get(studio, f"{UI}/history", limit=5).json()["items"]
    latest = items[0]
    assert latest["id"] == created["generation_id"]
    assert latest["request"]["prompt"] == "History route check"
    assert latest["request"]["num_variations"] == 2
    assert [a["id"] for a in latest["assets"]] == [v["asset_id"] for v in created["variations"]]
    assert all(a["width"] * 9 == a["height"] * 16 for a in latest["assets"])
    assert httpx.get(latest["assets"][0]["url"]).status_code == 200
    assert get(studio, f"{UI}/history", limit=0).status_code == 422
