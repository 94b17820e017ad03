"""The asset library page: filters, tags, collections, bulk actions, detail view and
"generate again with these settings"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from tests.web.harness import Studio, require_browser

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import sign_in  # noqa: E402

pytestmark = pytest.mark.browser


def create(studio: Studio, **body: Any) -> dict[str, Any]:
    """Generate through the public API (setup only; the UI is what is under test)."""
    response = httpx.post(
        f"{studio.base_url}/api/image-studio/create",
        json=body,
        headers={"Authorization": f"Bearer {studio.key}"},
        timeout=60,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def open_library(page: Page, studio: Studio, query: str) -> None:
    sign_in(page, studio.base_url, studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill(query)


def test_filters_tags_and_collections(studio: Studio, open_page: OpenPage) -> None:
    create(studio, prompt="Orchid greenhouse at dawn", template_id="instagram_story",
           num_variations=2)
    create(studio, prompt="Orchid show poster", template_id="linkedin_post")
    page, watch = open_page()
    open_library(page, studio, "orchid")
    cards = page.locator(".asset-card")
    expect(cards).to_have_count(3)

    page.get_by_label("Platform").select_option("linkedin")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("LinkedIn")
    page.get_by_label("Platform").select_option("")
    page.get_by_label("Provider").select_option("local")
    expect(cards).to_have_count(3)
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    page.get_by_label("Created until").fill(yesterday)
    expect(page.get_by_text("No images match these filters")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Search your library").fill("orchid")
    expect(cards).to_have_count(3)

    page.get_by_role("button", name="Open details of Orchid show poster").click()
    detail = page.locator("dialog.detail")
    detail.get_by_label("Tags", exact=True).fill("Spring-Launch")
    detail.get_by_role("button", name="Add tag").click()
    expect(detail.locator(".tag-editor")).to_contain_text("spring-launch")
    detail.get_by_label("Title", exact=True).fill("Orchid poster, final")
    detail.get_by_role("button", name="Save title").click()
    expect(detail.locator("h2")).to_have_text("Orchid poster, final")
    detail.get_by_role("button", name="Close dialog").click()
    expect(page.locator(".asset-card", has_text="Orchid poster, final")).to_contain_text(
        "spring-launch")
    page.get_by_label("Tag", exact=True).fill("spring-launch")
    expect(cards).to_have_count(1)
    page.get_by_label("Tag", exact=True).fill("")
    expect(cards).to_have_count(3)

    page.get_by_role("button", name="+ New collection").click()
    page.get_by_label("Collection name").fill("Orchid campaign")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_text("Collection “Orchid campaign” created.")).to_be_visible()
    page.get_by_role("checkbox", name="Select Orchid greenhouse at dawn").first.check()
    page.get_by_role("checkbox", name="Select Orchid poster, final").check()
    page.get_by_label("Collection to add the selected images to").select_option(
        label="Orchid campaign")
    expect(page.get_by_text("Added to “Orchid campaign” (2 images).")).to_be_visible()
    page.get_by_label("Collection", exact=True).select_option(label="Orchid campaign (2)")
    expect(cards).to_have_count(2)

    page.get_by_role("button", name="Open details of Orchid poster, final").click()
    page.get_by_role("button", name="Remove from “Orchid campaign”").click()
    expect(cards).to_have_count(1)
    expect(page.get_by_text("Removed from “Orchid campaign”.")).to_be_visible()

    page.locator(".asset-card").first.get_by_role(
        "button", name=re.compile("^Open details of")).click()
    # The detail view's own reads of this image (versions, quotes) may still be in
    # flight when it is deleted: answered 404, which Chromium logs.
    watch.expected_failures.add(404)
    page.locator("dialog.detail").get_by_role("button", name="Delete", exact=True).click()
    page.locator("dialog.dialog-small").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Image deleted.")).to_be_visible()
    expect(cards).to_have_count(0)


def test_bulk_delete_and_list_view(studio: Studio, open_page: OpenPage) -> None:
    create(studio, prompt="Tulip field for deletion", num_variations=2)
    page, _ = open_page()
    open_library(page, studio, "tulip field")
    expect(page.locator(".asset-card")).to_have_count(2)
    page.get_by_text("List", exact=True).click()
    rows = page.locator(".asset-row")
    expect(rows).to_have_count(2)
    rows.first.get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    confirm = page.locator("dialog.dialog-small")
    expect(confirm).to_contain_text("Delete 1 image?")
    confirm.get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_text("1 image deleted.")).to_be_visible()


def test_generate_again_with_the_same_settings(studio: Studio, open_page: OpenPage) -> None:
    first = create(studio, prompt="Sunflower market stall", template_id="pinterest_pin",
                   seed=777, overlay_text="Fresh today", quality="draft")
    original = first["variations"][0]
    page, _ = open_page()
    open_library(page, studio, "sunflower market")
    page.get_by_role("button", name="Open details of Sunflower market stall").click()
    detail = page.locator("dialog.detail")
    expect(detail).to_contain_text("Fresh today")
    expect(detail).to_contain_text("777")
    expect(detail).to_contain_text("draft")
    detail.get_by_role("button", name="Generate again with these settings").click()

    expect(page.get_by_role("heading", name="Create Studio")).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("Sunflower market stall")
    expect(page.get_by_role("radio", name="Pinterest Pin")).to_be_checked()
    expect(page.get_by_label("Seed")).to_have_value("777")
    expect(page.get_by_label("Overlay text")).to_have_value("Fresh today")
    expect(page.get_by_role("radio", name="Draft")).to_be_checked()
    page.get_by_role("button", name="Generate 1 image").click()
    card = page.locator(".run").first.locator(".var-card")
    expect(card.locator("img")).to_have_count(1, timeout=60_000)
    expect(card).to_contain_text("seed 777")
    again = card.get_attribute("data-asset-id")
    assets = httpx.get(
        f"{studio.base_url}/api/image-studio/assets/{again}",
        headers={"Authorization": f"Bearer {studio.key}"},
    ).json()
    earlier = httpx.get(
        f"{studio.base_url}/api/image-studio/assets/{original['asset_id']}",
        headers={"Authorization": f"Bearer {studio.key}"},
    ).json()
    assert assets["sha256"] == earlier["sha256"]
