"""The Edit workspace against a studio whose Stability provider is the loopback emulator:
open a generated image, try to inpaint with an empty mask (explained, nothing charged),
paint a mask (and undo a stray stroke), inpaint, compare before and after with the
keyboard, and revert to the original; every outcome checked through the API and in what
the vendor received."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat
from tests.web.harness import (
    Emulated,
    Studio,
    create_user,
    require_browser,
    running_emulator,
    running_studio,
)

require_browser()

from playwright.sync_api import Locator, Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import assert_axe_clean, generate, pick_template, sign_in  # noqa: E402

from imagestudio.edit.operations import load_operations  # noqa: E402
from imagestudio.emulators.stability import read_form  # noqa: E402

pytestmark = pytest.mark.browser
INPAINT = "/v2beta/stable-image/edit/inpaint"
SKETCH = "/v2beta/stable-image/control/sketch"
PRICE = load_operations()["stability/inpaint"].price_micros
WIDTH, HEIGHT = 768, 512
PROMPT = "Red kayak on a quiet lake"


@pytest.fixture(scope="module")
def stability() -> Iterator[Emulated]:
    with running_emulator("stability") as emulated:
        yield emulated


@pytest.fixture(scope="module")
def edit_studio(tmp_path_factory: pytest.TempPathFactory, stability: Emulated
                ) -> Iterator[Studio]:
    env = {**stability.env, "IMAGESTUDIO_RETRY_MAX_ATTEMPTS": "1"}
    with running_studio(tmp_path_factory.mktemp("edit"), env=env) as running:
        yield running


def _api(studio: Studio, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{studio.base_url}/api/image-studio{path}",
                             headers={"Authorization": f"Bearer {studio.key}"}, timeout=60,
                             **kwargs)
    response.raise_for_status()
    return response.json()


def _pixels(studio: Studio, asset: dict[str, Any]) -> Image.Image:
    data = httpx.get(asset["url"], timeout=30).content
    return Image.open(io.BytesIO(data)).convert("RGB")


def _balance(studio: Studio) -> int:
    return int(_api(studio, "GET", "/usage")["balance"]["micros"])


def _drag(page: Page, canvas: Locator, points: list[tuple[float, float]]) -> None:
    """A pointer stroke through ``points`` (fractions of the canvas)."""
    box = canvas.bounding_box()
    assert box is not None
    at = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def _focus_order(page: Page, stop: Locator, limit: int = 80) -> list[str]:
    """Tab from the focused element until ``stop`` has the focus: the names passed."""
    names: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        names.append(page.evaluate("""() => {
          const el = document.activeElement;
          return (el.labels && el.labels[0] ? el.labels[0].textContent
                  : el.getAttribute('aria-label') || el.textContent || '').trim();
        }"""))
        if stop.evaluate("el => el === document.activeElement"):
            return names
    raise AssertionError(f"never reached {stop}; passed {names}")


def test_paint_a_mask_inpaint_compare_and_revert_to_the_original(
    edit_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    created = _api(edit_studio, "POST", "/create", json={
        "prompt": PROMPT, "provider": "local", "width": WIDTH, "height": HEIGHT})
    original_id = created["variations"][0]["asset_id"]
    original = _api(edit_studio, "GET", f"/assets/{original_id}")
    balance = _balance(edit_studio)
    page, watch = open_page()
    watch.expected_failures.add(422)  # the quote and Run answer the empty mask with a 422
    sign_in(page, edit_studio.base_url, edit_studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("kayak")
    page.get_by_role("button", name=f"Open details of {PROMPT}").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.locator("dialog.editor")
    expect(dialog.get_by_label("Operation")).to_have_value("stability/inpaint")
    canvas = dialog.locator("canvas.edit-mask")
    expect(canvas).to_have_js_property("width", WIDTH)
    expect(canvas).to_have_js_property("height", HEIGHT)
    quote = dialog.locator(".edit-quote")

    # 1. nothing painted: the quote says so, and Run explains the API's 422; nothing spent
    dialog.get_by_label("What to paint there").fill("a yellow buoy")
    expect(quote).to_have_text("Not ready: the mask is empty: paint the area to inpaint")
    dialog.get_by_role("button", name="Run edit").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("the mask is empty: paint the area to inpaint")
    expect(alert).to_contain_text("Next step:")
    assert stability.emulator.requests("POST", INPAINT) == []
    assert _balance(edit_studio) == balance
    assert _api(edit_studio, "GET", f"/assets/{original_id}/versions")["descendants"] == []

    # 2. paint a stroke, paint a stray one and undo it: the quote is the inpaint's price
    _drag(page, canvas, [(0.2, 0.3), (0.45, 0.3), (0.45, 0.4)])
    _drag(page, canvas, [(0.8, 0.8), (0.9, 0.85)])
    dialog.get_by_role("button", name="Undo stroke").click()
    expect(quote).to_have_attribute("data-state", "ok")
    expect(quote).to_contain_text(
        "$0.05 · Inpaint: repaint the mask by Stability AI · balance after"
    )

    # 3. run: the vendor got the mask at the image's exact size, white where painted
    dialog.get_by_role("button", name="Run edit").click()
    expect(dialog.locator(".edit-done")).to_contain_text(f"a new version, {WIDTH} × {HEIGHT}")
    sent = stability.emulator.requests("POST", INPAINT)
    assert len(sent) == 1
    fields = read_form(sent[0])
    assert fields["prompt"] == "a yellow buoy"
    with Image.open(io.BytesIO(fields["mask"])) as mask:  # type: ignore[arg-type]
        assert mask.size == (WIDTH, HEIGHT)
        grey = mask.convert("L")
    painted = (int(WIDTH * 0.3), int(HEIGHT * 0.3))
    assert grey.getpixel(painted) == 255
    assert grey.getpixel((int(WIDTH * 0.85), int(HEIGHT * 0.82))) == 0  # the undone stroke
    assert grey.getpixel((int(WIDTH * 0.1), int(HEIGHT * 0.9))) == 0
    assert _balance(edit_studio) == balance - PRICE

    history = _api(edit_studio, "GET", f"/assets/{original_id}/versions")["descendants"]
    assert len(history) == 1 and history[0]["parameters"]["op"] == "inpaint"
    edited = history[0]
    box = (painted[0] - 10, painted[1] - 10, painted[0] + 10, painted[1] + 10)
    diff = ImageChops.difference(_pixels(edit_studio, original).crop(box),
                                 _pixels(edit_studio, edited).crop(box))
    assert max(ImageStat.Stat(diff).mean) > 8  # the masked area changed

    # 4. before/after: a keyboard slider and a toggle
    compare = dialog.get_by_role("region", name="Before and after")
    expect(compare).to_be_visible()
    slider = compare.get_by_label("Before ↔ after")
    slider.focus()
    page.keyboard.press("End")
    expect(slider).to_have_attribute("aria-valuetext", "100 % after")
    after = compare.locator(".edit-compare-after")
    expect(after).to_have_css("clip-path", "inset(0px 0% 0px 0px)")
    page.keyboard.press("Home")
    expect(after).to_have_css("clip-path", "inset(0px 100% 0px 0px)")
    toggle = compare.get_by_role("button", name="Show before only")
    toggle.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert_axe_clean(page, "edit workspace after an inpaint")

    # 5. every control is reachable by keyboard, down to the history's revert button
    strip = dialog.get_by_role("region", name="Version history")
    revert = strip.get_by_role("button", name="Revert to version 1 (Original)")
    dialog.get_by_role("button", name="Close dialog").focus()
    passed = _focus_order(page, revert)
    for name in ("Before ↔ after", "Show before only", "Operation", "What to paint there",
                 "Brush size", "Feather", "Invert mask", "Undo stroke", "Clear mask", "Run edit"):
        assert any(name in p for p in passed), (name, passed)
    expect(strip.locator("li[aria-current=true]")).to_contain_text("Version 2: Inpaint")

    # 6. revert to the original (Enter on the focused button): a new current version
    page.keyboard.press("Enter")
    expect(strip.locator("li")).to_have_count(3)
    current = strip.locator("li[aria-current=true]")
    expect(current).to_contain_text("Version 3: Reverted to version 1")
    descendants = _api(edit_studio, "GET", f"/assets/{original_id}/versions")["descendants"]
    head = descendants[-1]
    assert head["operation"] == "revert" and head["parameters"] == {"to": original_id}
    assert head["parent_id"] == edited["id"] and head["sha256"] == original["sha256"]
    assert current.get_attribute("data-version") == head["id"]
    assert _balance(edit_studio) == balance - PRICE  # reverting is free
    assert len(stability.emulator.requests("POST", INPAINT)) == 1


def test_a_free_local_edit_by_keyboard_alone(
    edit_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    created = _api(edit_studio, "POST", "/create", json={
        "prompt": "Striped beach hut", "provider": "local", "width": 320, "height": 256})
    source_id = created["variations"][0]["asset_id"]
    source = _api(edit_studio, "GET", f"/assets/{source_id}")
    balance, paid = _balance(edit_studio), len(stability.emulator.requests("POST"))
    page, watch = open_page()
    watch.expected_failures.add(422)
    sign_in(page, edit_studio.base_url, edit_studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("beach hut")
    page.get_by_role("button", name="Open details of Striped beach hut").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.locator("dialog.editor")
    picker = dialog.get_by_label("Operation")
    expect(picker).to_have_value("stability/inpaint")
    assert_axe_clean(page, "edit workspace opened")
    picker.focus()
    for _ in range(30):  # down the list with the arrow key to the local flip
        if picker.input_value() == "local/flip":
            break
        page.keyboard.press("ArrowDown")
    expect(picker).to_have_value("local/flip")
    expect(dialog.locator(".edit-brush")).to_be_hidden()  # flip takes no mask
    expect(dialog.locator(".edit-quote")).to_have_text("Free · Flip, on this studio")
    dialog.get_by_label("Direction").focus()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Run edit")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.locator(".edit-done")).to_contain_text("a new version, 320 × 256 (free)")
    made = _api(edit_studio, "GET", f"/assets/{source_id}/versions")["descendants"]
    assert [v["parameters"]["op"] for v in made] == ["flip"]
    flipped = _pixels(edit_studio, made[0])
    mirrored = _pixels(edit_studio, source).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert max(ImageStat.Stat(ImageChops.difference(flipped, mirrored)).mean) < 3
    assert _balance(edit_studio) == balance
    assert len(stability.emulator.requests("POST")) == paid


def test_a_paid_edit_without_credit_is_refused_before_run(
    edit_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    key = create_user(edit_studio.data_dir, "broke", "pro", credit_usd="0")
    created = httpx.post(f"{edit_studio.base_url}/api/image-studio/create", timeout=60,
                         headers={"Authorization": f"Bearer {key}"},
                         json={"prompt": "Glass lighthouse at noon", "provider": "local",
                               "width": 320, "height": 256})
    created.raise_for_status()
    paid = len(stability.emulator.requests("POST"))
    page, watch = open_page()
    watch.expected_failures.add(422)
    sign_in(page, edit_studio.base_url, key, user="broke")
    page.get_by_role("link", name="Library").click()
    page.get_by_role("button", name="Open details of Glass lighthouse at noon").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.locator("dialog.editor")
    dialog.get_by_label("Operation").select_option("stability/remove-background")
    quote = dialog.locator(".edit-quote")
    expect(quote).to_have_attribute("data-state", "blocked")
    expect(quote).to_contain_text("$0.05 · Remove background by Stability AI")
    expect(quote).not_to_contain_text("stability/")  # the id only in its title
    expect(quote).to_have_attribute("title", "stability/remove-background")
    expect(quote).to_contain_text("cannot run:")
    expect(dialog.get_by_role("button", name="Run edit")).to_be_disabled()
    assert_axe_clean(page, "edit workspace, paid edit refused")
    dialog.get_by_label("Operation").select_option("local/blur")
    expect(quote).to_have_text("Free · Blur, on this studio")
    expect(dialog.get_by_role("button", name="Run edit")).to_be_enabled()
    assert len(stability.emulator.requests("POST")) == paid


def test_edit_from_a_create_result_card(
    edit_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    page, _watch = open_page()
    sign_in(page, edit_studio.base_url, edit_studio.key)
    pick_template(page, "Instagram", "square", "Instagram Feed Post (Square)")
    page.get_by_label("Prompt", exact=True).fill("Paper boat on a puddle")
    generate(page, 1)
    card = page.locator(".run").first.locator(".var-card").first
    asset_id = card.get_attribute("data-asset-id")
    assert asset_id
    card.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.locator("dialog.editor")
    expect(dialog).to_be_visible()
    expect(dialog.locator("img.edit-image")).to_have_js_property("complete", True)
    dialog.get_by_label("Operation").select_option("local/flip")
    expect(dialog.locator(".edit-quote")).to_have_text("Free · Flip, on this studio")
    dialog.get_by_role("button", name="Run edit").click()
    expect(dialog.locator(".edit-done")).to_contain_text("a new version")
    made = _api(edit_studio, "GET", f"/assets/{asset_id}/versions")["descendants"]
    assert [v["parameters"]["op"] for v in made] == ["flip"]
    assert made[0]["parent_id"] == asset_id

    # a control edit (Stability sketch) from the same workspace, its fields sent as set
    dialog.get_by_label("Operation").select_option("stability/sketch")
    dialog.get_by_label("What to make").fill("a paper crane")
    dialog.get_by_label("Style preset").select_option("origami")
    expect(dialog.locator(".edit-quote")).to_contain_text(
        "$0.05 · From a sketch: a new image on its lines by Stability AI"
    )
    dialog.get_by_role("button", name="Run edit").click()
    expect(dialog.locator(".edit-done")).to_contain_text("a new version")
    [sent] = stability.emulator.requests("POST", SKETCH)
    form = read_form(sent)
    assert (form["prompt"], form["style_preset"], form["control_strength"]) == (
        "a paper crane", "origami", "0.7")


def test_the_library_hides_edit_versions_until_asked(
    edit_studio: Studio, open_page: OpenPage
) -> None:
    created = _api(edit_studio, "POST", "/create", json={
        "prompt": "Copper kettle on a stove", "provider": "local", "width": 320, "height": 256})
    source_id = created["variations"][0]["asset_id"]
    version = _api(edit_studio, "POST", "/edit", json={
        "asset_id": source_id, "op": "flip", "direction": "vertical"})["asset_id"]
    everything = _api(edit_studio, "GET", "/assets?limit=100")["items"]
    originals = _api(edit_studio, "GET", "/assets?limit=100&versions=false")["items"]
    assert version in {a["id"] for a in everything} - {a["id"] for a in originals}
    page, _watch = open_page()
    sign_in(page, edit_studio.base_url, edit_studio.key)
    page.get_by_role("link", name="Library").click()
    cards = page.locator("button[aria-label^='Open details of']")
    expect(cards).to_have_count(len(originals))
    toggle = page.get_by_label("Show edit versions")
    expect(toggle).not_to_be_checked()
    toggle.check()
    expect(cards).to_have_count(len(everything))
    toggle.uncheck()
    expect(cards).to_have_count(len(originals))
