"""Phone width, labels and alt text, and the main flow done with the keyboard alone."""

from __future__ import annotations

import pytest
from tests.web.harness import Studio, require_browser

require_browser()

from playwright.sync_api import Locator, Page, Route, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import (  # noqa: E402
    IMAGES_WITHOUT_ALT,
    PHONE,
    UNLABELLED_CONTROLS,
    assert_axe_clean,
    generate,
    pick_template,
    set_variations,
    sign_in,
)

pytestmark = pytest.mark.browser

OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getClientRects().length && !el.closest('.sr-only, dialog:not([open])'))
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .map(el => el.outerHTML.slice(0, 100))"""
UNNAMED_BUTTONS = """() => [...document.querySelectorAll('button, a[href], summary')]
  .filter(el => el.getClientRects().length)
  .filter(el => !(el.textContent.trim() || el.getAttribute('aria-label')))
  .map(el => el.outerHTML.slice(0, 100))"""


def assert_fits(page: Page, where: str) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{where}: page is {width}px wide"
    assert page.evaluate(OVERFLOWING) == [], where


def assert_labelled(page: Page, where: str) -> None:
    assert page.evaluate(UNLABELLED_CONTROLS) == [], where
    assert page.evaluate(IMAGES_WITHOUT_ALT) == [], where
    assert page.evaluate(UNNAMED_BUTTONS) == [], where
    assert_axe_clean(page, where)


def test_phone_width_has_no_horizontal_scroll(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page(PHONE)
    page.goto(studio.base_url + "/")
    expect(page.get_by_label("API key")).to_be_visible()
    assert_fits(page, "sign-in")
    sign_in(page, studio.base_url, studio.key)
    page.get_by_text("Advanced settings").click()
    assert_fits(page, "create")
    pick_template(page, "LinkedIn", "cover", "LinkedIn Company Cover")
    page.get_by_label("Prompt", exact=True).fill("Phone width check for a wide banner")
    set_variations(page, 2)
    generate(page, 2)
    assert_fits(page, "create with results")
    page.get_by_role("button", name="Open", exact=True).first.click()
    expect(page.locator("dialog.lightbox")).to_be_visible()
    assert_fits(page, "full-size view")
    page.keyboard.press("Escape")
    page.get_by_role("link", name="Library").click()
    expect(page.locator(".asset-card").first).to_be_visible()
    page.get_by_text("Filters", exact=True).click()
    assert_fits(page, "library")
    page.locator(".asset-thumb").first.click()
    expect(page.locator("dialog.detail")).to_be_visible()
    expect(page.locator("dialog.detail")).to_contain_text("Generation settings")
    assert_fits(page, "asset detail")


def test_every_control_is_labelled_and_every_image_has_alt(
    studio: Studio, open_page: OpenPage
) -> None:
    page, watch = open_page()
    watch.expected_failures.add(401)
    page.goto(studio.base_url + "/")
    expect(page.get_by_label("API key")).to_be_visible()
    assert_labelled(page, "sign-in")
    page.get_by_label("API key").fill("isk_not-a-key-of-this-studio")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-error")).to_be_visible()
    assert_labelled(page, "sign-in, key refused")
    sign_in(page, studio.base_url, studio.key)
    page.get_by_text("Advanced settings").click()
    page.get_by_label("Prompt", exact=True).fill("Labels and alt text check")
    generate(page, 1)
    assert_labelled(page, "create")
    alt = page.locator(".run .var-card img").first.get_attribute("alt") or ""
    assert "Labels and alt text check" in alt
    page.get_by_text("Custom pixels", exact=True).click()
    page.get_by_label("Provider").select_option("local")
    assert_labelled(page, "create, custom size and explicit provider")
    page.get_by_role("link", name="Library").click()
    expect(page.locator(".asset-card").first).to_be_visible()
    page.get_by_text("List", exact=True).click()
    expect(page.locator(".asset-row").first).to_be_visible()
    assert_labelled(page, "library list")
    page.locator(".asset-row-thumb").first.click()
    expect(page.locator("dialog.detail")).to_contain_text("Generation settings")
    assert_labelled(page, "asset detail")


def tab_to(page: Page, target: Locator, limit: int = 400) -> None:
    """Press Tab until ``target`` has the focus (fails when it is not reachable; the
    session's studio may already list other tests' runs before it)."""
    element = target.element_handle()  # resolve once: role locators are slow to re-query
    for _ in range(limit):
        if element.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} is not reachable with Tab")


def test_main_flow_with_the_keyboard_only(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    page.goto(studio.base_url + "/")
    key = page.get_by_label("API key")
    tab_to(page, key)
    page.keyboard.type(studio.key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Create Studio")).to_be_visible()

    instagram = page.get_by_role("button", name="Instagram", exact=True)
    tab_to(page, instagram)
    page.keyboard.press("Enter")
    expect(instagram).to_have_attribute("aria-pressed", "true")
    expect(instagram).to_be_focused()
    search = page.get_by_label("Search templates")
    tab_to(page, search)
    page.keyboard.type("square")
    expect(page.get_by_text("match “square”")).to_be_visible()
    page.keyboard.press("Enter")  # must not submit the form
    expect(page.locator(".run")).to_have_count(0)
    tab_to(page, page.get_by_role("radio", name="No template — custom size"))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Instagram Feed Post (Square)")).to_be_checked()
    expect(page.locator(".tpl-details")).to_contain_text("1080 × 1080 px")

    tab_to(page, page.get_by_label("Prompt", exact=True))
    page.keyboard.type("Keyboard only: a cosy reading nook")
    tab_to(page, page.get_by_label("Variations (1–10)"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Variations (1–10)")).to_have_value("3")
    tab_to(page, page.get_by_role("button", name="Generate 3 images"))
    page.keyboard.press("Enter")
    run = page.locator(".run").first
    expect(run.locator(".var-card img")).to_have_count(3, timeout=60_000)

    favourite = run.get_by_role("button", name="☆ Favourite").first
    tab_to(page, favourite)
    page.keyboard.press("Space")
    expect(run.get_by_role("button", name="★ Favourite")).to_have_count(1)
    opener = run.get_by_role("button", name="Open variation 1 full size")
    tab_to(page, opener)
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.lightbox")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    tab_to(page, page.get_by_role("link", name="Library"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Search your library"))
    page.keyboard.type("cosy reading nook")
    expect(page.locator(".asset-card")).to_have_count(3)
    tab_to(page, page.locator(".asset-check").first)
    page.keyboard.press("Space")
    star = page.locator(".asset-card").first.locator(".fav-toggle")
    expected = "false" if star.get_attribute("aria-pressed") == "true" else "true"
    tab_to(page, star)
    page.keyboard.press("Enter")
    expect(star).to_have_attribute("aria-pressed", expected)
    expect(star).to_be_focused()  # the card is re-rendered; the focus must follow it
    zip_button = page.get_by_role("button", name="Download zip")
    tab_to(page, zip_button)
    with page.expect_download() as waiting:
        page.keyboard.press("Enter")
    assert waiting.value.suggested_filename == "image-studio-1-image.zip"


def test_a_quote_being_updated_keeps_its_contrast(studio: Studio, open_page: OpenPage) -> None:
    """The cost panel while a new quote is on its way (held here until axe has run): the
    old figures stay readable (it used to fade the whole body below text contrast)."""
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    page.get_by_label("Prompt", exact=True).fill("A quote on its way")
    expect(page.locator("#quote-amount")).to_have_text("$0.00")
    held: list[Route] = []
    page.route("**/api/image-studio/estimate-cost", lambda route: held.append(route))
    set_variations(page, 2)
    expect(page.locator("#quote-state")).to_have_text("Updating…")
    expect(page.locator(".quote")).to_have_attribute("aria-busy", "true")
    assert_axe_clean(page, "create, quote being updated")
    for route in held:
        route.continue_()
    page.unroute("**/api/image-studio/estimate-cost")
    expect(page.locator(".quote")).not_to_have_attribute("aria-busy", "true")
