"""The issue's end-to-end flow in Debian's Chromium against a real ``imagestudio serve``:
sign in, pick a template, type a prompt, see the quote, generate 3 variations, favourite
one, find it in the library by search and download a zip of the results."""

from __future__ import annotations

import hashlib
import io
import zipfile

import httpx
import pytest
from tests.web.harness import Studio, require_browser

require_browser()

from PIL import Image  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import generate, pick_template, set_variations, sign_in  # noqa: E402

pytestmark = pytest.mark.browser
PROMPT = "Zesty lemonade stand on a sunny street, bright summer colours"


def api_assets(studio: Studio, query: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"{studio.base_url}/api/image-studio/assets",
        params={"q": query},
        headers={"Authorization": f"Bearer {studio.key}"},
    )
    response.raise_for_status()
    items: list[dict[str, object]] = response.json()["items"]
    return items


def quote_then_generate(page: Page) -> None:
    pick_template(page, "Instagram", "square", "Instagram Feed Post (Square)")
    details = page.locator(".tpl-details")
    expect(details).to_contain_text("1080 × 1080 px")
    expect(details).to_contain_text("1:1")
    expect(details).to_contain_text("Safe zone")
    page.get_by_label("Prompt", exact=True).fill(PROMPT)
    set_variations(page, 3)
    expect(page.locator("#quote-amount")).to_have_text("$0.00")
    expect(page.locator(".quote")).to_contain_text("for 3 images")
    expect(page.locator(".quote")).to_contain_text("1080 × 1080 px")
    expect(page.locator("#action-total")).to_have_text("$0.00 for 3 images")
    generate(page, 3)


def test_sign_in_generate_favourite_find_and_download(studio: Studio, open_page: OpenPage) -> None:
    page, watch = open_page()
    sign_in(page, studio.base_url, studio.key)
    quote_then_generate(page)

    run = page.locator(".run").first
    expect(run.locator(".run-status")).to_have_text("3 variations ready · cost $0.00")
    images = run.locator(".var-card img")
    for index in range(3):
        assert images.nth(index).evaluate("i => i.naturalWidth") == 1080
    run.get_by_role("button", name="☆ Favourite").nth(1).click()
    expect(run.get_by_role("button", name="★ Favourite")).to_have_count(1)

    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("zesty lemonade")
    cards = page.locator(".asset-card")
    expect(cards).to_have_count(3)
    expect(page.get_by_role("button", name="Remove Zesty lemonade", exact=False)).to_have_count(1)
    page.get_by_label("Favourites only").check()
    expect(cards).to_have_count(1)
    page.get_by_label("Favourites only").uncheck()
    expect(cards).to_have_count(3)

    page.get_by_role("button", name="Select all 3 shown").click()
    expect(page.locator(".bulk-count")).to_have_text("3 selected")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download zip").click()
    download = waiting.value
    assert download.suggested_filename == "image-studio-3-images.zip"
    archive = zipfile.ZipFile(download.path())
    names = archive.namelist()
    assert len(names) == 3
    stored = {str(a["sha256"]) for a in api_assets(studio, "zesty lemonade")}
    assert {hashlib.sha256(archive.read(n)).hexdigest() for n in names} == stored
    for name in names:
        with Image.open(io.BytesIO(archive.read(name))) as image:
            assert image.size == (1080, 1080)
    watch.assert_clean()


def test_an_over_long_paste_is_kept_shown_and_blocks_generate(
    studio: Studio, open_page: OpenPage
) -> None:
    """Issue 17 defect 9: a paste past the limit was cut silently; now it is kept, the
    overflow is shown and Generate waits until the prompt fits."""
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    limit = page.evaluate("() => fetch('/api/image-studio/ui/config').then(r => r.json())")[
        "limits"]["prompt_max_chars"]
    prompt = page.get_by_label("Prompt", exact=True)
    counter = page.locator(".counter").first
    prompt.fill("a" * 10)
    expect(counter).to_have_text(f"10 / {limit}")
    pasted = "b" * limit + "TAIL-OF-THE-PASTE" + "c" * 8
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", pasted)
    prompt.fill("")
    prompt.focus()
    page.keyboard.press("Control+V")  # a real paste, as the marketer does it
    expect(prompt).to_have_value(pasted)  # nothing cut
    expect(counter).to_have_text(f"{limit + 25} / {limit}")
    expect(counter).to_have_class("counter counter-over")
    overflow = page.locator(".overflow")
    expect(overflow).to_contain_text(f"25 characters over the limit of {limit}")
    expect(overflow.locator(".overflow-text")).to_have_text("TAIL-OF-THE-PASTE" + "c" * 8)
    expect(page.locator("#action-reason")).to_have_text(
        "Shorten the prompt by 25 characters to generate.")
    expect(page.locator("#generate")).to_be_disabled()
    page.get_by_role("button", name="Cut the last 25 characters").click()
    assert prompt.input_value() == "b" * limit
    expect(overflow).to_be_hidden()
    expect(page.locator("#generate")).to_be_enabled()
    prompt.fill("")
    expect(page.locator("#action-reason")).to_have_text("Type a prompt to generate.")
    expect(page.locator("#generate")).to_be_disabled()


def test_enhanced_prompt_is_shown_before_generating(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    pick_template(page, "YouTube", "thumbnail", "YouTube Thumbnail")
    page.get_by_label("Prompt", exact=True).fill("Mountain biker mid-jump")
    preview = page.locator(".enhanced")
    expect(preview).to_contain_text("this is what the model receives")
    shown = preview.locator(".enhanced-text").inner_text()
    assert shown.startswith("Mountain biker mid-jump,")
    generate(page, 1)
    sent = page.locator(".run").first.locator(".sent-prompt")
    sent.locator("summary").click()
    expect(sent.locator("p")).to_have_text(shown)

    page.get_by_text("Enhance prompt", exact=True).click()
    expect(preview).to_be_hidden()
    generate(page, 1)
    expect(page.locator(".run").first.locator(".sent-prompt")).to_have_count(0)


def test_result_actions(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, studio.base_url, studio.key)
    page.get_by_label("Prompt", exact=True).fill("Picnic blanket flat lay")
    generate(page, 1)
    run = page.locator(".run").first
    expect(run.locator(".warnings")).to_contain_text("offline draft renderer")
    card = run.locator(".var-card")
    seed = card.locator(".hint").first.inner_text().split("seed ")[1].split(" ")[0]

    with page.expect_download() as waiting:
        card.get_by_role("link", name="Download").click()
    assert waiting.value.suggested_filename == f"picnic-blanket-flat-lay-{seed}.png"
    with Image.open(waiting.value.path()) as image:
        assert image.size == (1080, 1080)

    card.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Image copied to the clipboard.")).to_be_visible()
    types = page.evaluate("async () => (await navigator.clipboard.read())[0].types")
    assert types == ["image/png"]

    card.get_by_role("button", name="Use seed").click()
    seed_input = page.get_by_label("Seed")
    expect(seed_input).to_have_value(seed)
    expect(seed_input).to_be_focused()


def test_custom_size_out_of_range_blocks_generate(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    page.get_by_label("Prompt", exact=True).fill("Banner with an impossible size")
    page.get_by_text("Custom pixels", exact=True).click()
    page.get_by_label("Width (px)").fill("5000")
    message = "Width must be a whole number from 64 to 4096."
    expect(page.locator(".quote .form-error")).to_have_text(message)
    expect(page.locator("#action-reason")).to_have_text(message)
    expect(page.locator("#generate")).to_be_disabled()
    page.get_by_label("Width (px)").fill("1200")
    page.get_by_label("Height (px)").fill("400")
    expect(page.locator(".quote")).to_contain_text("1200 × 400 px · 3:1")
    expect(page.locator("#generate")).to_be_enabled()
