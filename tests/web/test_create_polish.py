"""Issue 17 defects 5, 8, 10–16 and the daily-work additions (compare and pick, history,
recommend by use case, style previews), against the offline studio. Every screen is also
checked with axe-core."""

from __future__ import annotations

import re

import pytest
from tests.web.harness import Studio, create_user, require_browser

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import (  # noqa: E402
    PHONE,
    assert_axe_clean,
    generate,
    pick_template,
    set_variations,
    sign_in,
)

pytestmark = pytest.mark.browser


def slide_to(page: Page, count: int) -> None:
    slider = page.get_by_label(re.compile(r"^Variations \(1–\d+\)$"))
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(count - 1):
        page.keyboard.press("ArrowRight")
    expect(slider).to_have_value(str(count))


def test_free_plan_defaults_and_what_fits(studio: Studio, open_page: OpenPage) -> None:
    """Defects 5, 8 and 13: plan-aware defaults, no negative numbers, drafts' quota shown."""
    key = create_user(studio.data_dir, "free-marketer", plan="free")
    page, _ = open_page()
    sign_in(page, studio.base_url, key, user="free-marketer")
    expect(page.get_by_label("Variations (1–4)")).to_be_visible()
    expect(page.get_by_text("Your plan makes up to 4 per request.")).to_be_visible()
    pick_template(page, "YouTube", "thumbnail", "YouTube Thumbnail")  # its default is Premium
    expect(page.locator("fieldset.seg input[value=standard]")).to_be_checked()
    page.get_by_label("Prompt", exact=True).fill("Free plan drafts")
    expect(page.locator("#preflight-verdict")).to_have_text("✓ Your plan covers this request.")
    box = page.locator(".preflight")  # the plan box states defect 13's decision
    expect(box.locator("#draft-quota")).to_contain_text(
        "Free offline drafts count toward your monthly images, like AI images (they never "
        "cost credit)")
    expect(box).to_contain_text("0 of 10 used")
    slide_to(page, 4)
    generate(page, 4)
    generate(page, 4)  # 8 of 10 used: drafts count
    expect(box).to_contain_text("8 of 10 used · 2 left, not enough for 4")
    expect(box).to_contain_text(
        "Only 2 images left this month on the Free plan; this request makes 4.")
    assert not re.search(r"-\$?\d", box.inner_text())
    expect(page.locator("#generate")).to_be_disabled()
    assert_axe_clean(page, "create, quota does not fit")
    box.get_by_role("button", name="Lower to 2").click()
    expect(page.get_by_label("Variations (1–4)")).to_have_value("2")
    expect(page.locator("#preflight-verdict")).to_have_text("✓ Your plan covers this request.")
    expect(box).to_contain_text("8 of 10 used · 0 left after this")


def test_plain_words_plurals_and_template_search(studio: Studio, open_page: OpenPage) -> None:
    """Defects 10, 11 and 12, and recommend by use case."""
    page, _ = open_page()
    page.goto(studio.base_url + "/")
    page.evaluate("localStorage.removeItem('imagestudio.noKeysNoticeDismissed')")
    sign_in(page, studio.base_url, studio.key)
    quote = page.locator(".quote")
    expect(quote).to_contain_text("Offline draft renderer")
    notice = page.locator("#no-keys")
    expect(notice).to_contain_text("No AI provider is set up for standard quality yet")
    shown = quote.inner_text()
    assert "local/draft-renderer" not in shown and "Set a provider key" not in shown
    notice.get_by_role("button", name="Got it").click()
    expect(notice).to_have_count(0)
    page.reload()
    expect(page.locator("#quote-amount")).to_be_visible()
    expect(page.locator("#no-keys")).to_have_count(0)  # once, dismissible

    page.get_by_role("button", name="Instagram", exact=True).click()
    page.get_by_label("Search templates").fill("channel art")
    status = page.locator(".tpl-status")
    expect(status).to_have_text(
        "0 templates match “channel art” on Instagram. Search all platforms")
    status.get_by_role("button", name="Search all platforms").click()
    expect(page.get_by_role("radio", name="YouTube Channel Art")).to_be_visible()
    counted = re.compile(r"^(1 template matches|\d+ templates match) “channel art”$")
    expect(status).to_have_text(counted)

    page.get_by_label("What is it for? Get recommendations").fill("product launch")
    page.get_by_role("button", name="Recommend").click()
    expect(status).to_contain_text("recommended for “product launch”")
    assert page.locator(".tpl-option").count() > 1

    pick_template(page, "YouTube", "thumbnail", "YouTube Thumbnail")
    page.locator(".size-controls .seg-title", has_text="Aspect ratio").click()
    page.locator(".size-controls select").select_option("9:16")
    expect(quote).to_contain_text("The 9:16 shape replaces the template's 16:9 shape")
    assert "overrides template" not in quote.inner_text()
    assert_axe_clean(page, "create, template search and notices")


def test_style_previews_come_from_the_offline_renderer(studio: Studio, open_page: OpenPage) -> None:
    page, watch = open_page()
    sign_in(page, studio.base_url, studio.key)
    samples = page.locator(".style-sample")
    expect(samples.first).to_be_visible()
    images = samples.locator("img")
    assert images.count() == samples.count() > 3
    page.wait_for_function("() => [...document.querySelectorAll('.style-sample img')]"
                           ".every(i => i.naturalWidth === 96)")
    assert all(src.startswith("data:image/png") for src in
               images.evaluate_all("all => all.map(i => i.src)"))
    second = samples.nth(1)
    second.click()
    expect(second).to_have_attribute("aria-pressed", "true")
    style = second.get_attribute("data-style") or ""
    expect(page.get_by_label("Style preset")).to_have_value(style)
    assert watch.foreign_requests == []


def test_compare_and_pick_in_the_lightbox(studio: Studio, open_page: OpenPage) -> None:
    """Defect 14 and compare-and-pick: actions in view at 1440×900, previous/next, arrows,
    favourite and "use this one"."""
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    page.get_by_label("Prompt", exact=True).fill("Compare three takes of a coffee cup")
    set_variations(page, 3)
    generate(page, 3)
    run = page.locator(".run").first
    run.get_by_role("button", name="Open variation 1 full size").click()
    dialog = page.locator("dialog.lightbox")
    expect(dialog.get_by_role("heading")).to_have_text("Variation 1")
    page.wait_for_function("() => document.querySelector('.lightbox-img').naturalWidth > 0")
    for name in ("Download", "Open original"):
        link = dialog.get_by_role("link", name=name)
        expect(link).to_be_in_viewport(ratio=1)  # above the fold at 1440×900, no scrolling
        box = link.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, name
    shown = dialog.locator(".lightbox-img").bounding_box()
    assert shown is not None and shown["y"] + shown["height"] <= 900, shown
    expect(dialog.locator(".lightbox-count")).to_have_text("1 of 3")
    page.keyboard.press("ArrowRight")
    expect(dialog.get_by_role("heading")).to_have_text("Variation 2")
    dialog.get_by_role("button", name="Next image").click()
    expect(dialog.get_by_role("heading")).to_have_text("Variation 3")
    page.keyboard.press("ArrowLeft")
    expect(dialog.locator(".lightbox-count")).to_have_text("2 of 3")
    assert_axe_clean(page, "compare view")
    dialog.get_by_role("button", name="☆ Favourite").click()
    expect(dialog.get_by_role("button", name="★ Favourite")).to_be_visible()
    card = run.locator(".var-card").nth(1)
    expect(card.locator(".fav")).to_have_attribute("aria-pressed", "true")
    seed = card.locator(".hint").first.inner_text().split("seed ")[1].split(" ")[0]
    dialog.get_by_role("button", name="Use this one").click()
    expect(dialog).to_have_count(0)
    expect(card).to_have_class(re.compile("is-picked"))
    expect(page.get_by_label("Seed")).to_have_value(seed)


def test_history_survives_a_reload_and_runs_again(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    prompt = "History: a lighthouse keeper's breakfast"
    page.get_by_label("Prompt", exact=True).fill(prompt)
    generate(page, 1)
    page.reload()
    history = page.locator("#history")
    item = history.locator(".history-item").first
    expect(item).to_contain_text(prompt)
    expect(item.locator("img")).to_have_count(1)
    assert_axe_clean(page, "create, history")
    page.get_by_label("Prompt", exact=True).fill("Something else")
    item.get_by_role("button", name="Restore settings").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(prompt)
    page.get_by_label("Prompt", exact=True).fill("Something else again")
    first_run = item.get_attribute("data-generation-id")
    item.get_by_role("button", name="Run again").click()
    expect(page.locator(".run")).to_have_count(1)
    latest = page.locator(".run").first.locator(".var-card img")
    expect(latest).to_have_count(1, timeout=60_000)
    assert prompt in (latest.first.get_attribute("alt") or "")
    newest = history.locator(".history-item").first
    expect(newest).not_to_have_attribute("data-generation-id", first_run or "", timeout=10_000)
    expect(newest).to_contain_text(prompt)
    expect(history.locator(".history-item").nth(1)).to_have_attribute(
        "data-generation-id", first_run or "")


def test_phone_shows_the_images_after_generate(studio: Studio, open_page: OpenPage) -> None:
    """Defect 15: a slim header that scrolls away, and the new images in view. A new user's
    first run: no history under the results to give the page room to scroll (the case
    where the page used to stop short, with the cost panel on screen)."""
    key = create_user(studio.data_dir, "phone-marketer")
    page, _ = open_page(PHONE)
    sign_in(page, studio.base_url, key, user="phone-marketer")
    assert page.evaluate("getComputedStyle(document.getElementById('topbar')).position") == "static"
    bar = page.locator(".actionbar").bounding_box()
    assert bar is not None and bar["height"] <= 80, bar
    page.get_by_label("Prompt", exact=True).fill("Phone: images in view after Generate")
    set_variations(page, 2)
    generate(page, 2)
    run = page.locator(".run").first
    images = run.locator(".var-card img")
    for index in range(2):
        box = images.nth(index).evaluate("i => i.getBoundingClientRect().toJSON()")
        assert box["top"] >= 0 and box["bottom"] <= PHONE["height"] - bar["height"], box
    header = page.evaluate("document.getElementById('topbar').getBoundingClientRect().bottom")
    assert header <= 0, header  # collapsed: scrolled out of view
    assert_axe_clean(page, "create on a phone, results")


def test_library_thumbnails_show_the_whole_image(studio: Studio, open_page: OpenPage) -> None:
    """Defect 16: a 16:9 image is not cropped to a square."""
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    page.get_by_label("Prompt", exact=True).fill("Wide banner with a headline for the library")
    page.locator(".size-controls select").select_option("16:9")
    generate(page, 1)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("wide banner headline")
    thumb = page.locator(".asset-thumb img").first
    expect(thumb).to_be_visible()
    assert thumb.evaluate("i => getComputedStyle(i).objectFit") == "contain"
    assert_axe_clean(page, "library")
    page.locator(".asset-thumb").first.click()
    detail = page.locator("dialog.detail")
    expect(detail).to_contain_text("Generation settings")
    assert "local/draft-renderer" not in detail.inner_text()
    assert_axe_clean(page, "asset detail")
