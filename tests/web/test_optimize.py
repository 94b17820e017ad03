"""Optimize for platforms: from a generated image in the library, five platforms, a moved
focal point, the renditions committed and the set downloaded as a zip."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import pytest
from tests.web.harness import Studio, require_browser

require_browser()

from playwright.sync_api import expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import assert_axe_clean, sign_in  # noqa: E402

pytestmark = pytest.mark.browser
FIVE = ["instagram", "linkedin", "youtube", "pinterest", "email"]


def test_optimize_five_platforms_move_the_focal_point_commit_and_download(
    studio: Studio, open_page: OpenPage
) -> None:
    created: dict[str, Any] = httpx.post(
        f"{studio.base_url}/api/image-studio/create",
        json={"prompt": "Lighthouse on a rocky coast", "provider": "local",
              "width": 1536, "height": 1024},
        headers={"Authorization": f"Bearer {studio.key}"}, timeout=60,
    ).json()
    source_id = created["variations"][0]["asset_id"]
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("lighthouse")
    page.get_by_role("button", name="Open details of Lighthouse on a rocky coast").click()
    page.get_by_role("button", name="Optimize for platforms").click()
    dialog = page.locator("dialog.optimizer")
    cards = dialog.locator(".opt-card")
    expected = sum(1 for t in _templates(studio) if t["platform"] in FIVE)
    expect(cards).to_have_count(expected)
    story = dialog.locator(".opt-card[data-template=instagram_story] .opt-frame")
    box = story.bounding_box()
    assert box is not None and box["height"] > box["width"] * 1.7  # true 9:16 aspect
    expect(dialog.locator(".opt-card[data-template=instagram_story] .opt-safe")).to_have_count(1)
    assert_axe_clean(page, "optimize dialog")
    before = story.locator("img").get_attribute("src")

    source = dialog.locator(".opt-source-img").bounding_box()
    assert source is not None
    page.mouse.click(source["x"] + source["width"] * 0.1, source["y"] + source["height"] * 0.5)
    expect(story.locator("img")).not_to_have_attribute("src", before or "")

    dialog.get_by_role("button", name="Create renditions").click()
    expect(dialog.locator(".opt-result")).to_contain_text(f"{expected} renditions saved")
    assert_axe_clean(page, "optimize dialog, renditions saved")
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download zip").click()
    data = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert len(names) == expected
    assert {n.split("/")[0] for n in names} == set(FIVE)
    asset = httpx.get(f"{studio.base_url}/api/image-studio/assets/{source_id}",
                      headers={"Authorization": f"Bearer {studio.key}"}).json()
    assert asset["focal_point"][0] == pytest.approx(0.1, abs=0.02)


def _templates(studio: Studio) -> list[dict[str, Any]]:
    response = httpx.get(f"{studio.base_url}/api/image-studio/templates",
                         headers={"Authorization": f"Bearer {studio.key}"})
    body = response.json()
    return list(body["templates"] if isinstance(body, dict) else body)
