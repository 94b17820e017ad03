"""Take the README's screenshots of the Create Studio and the library.

    python tests/web/screenshots.py [--out docs/screenshots]

Starts a real ``imagestudio serve`` on loopback with a throw-away data directory, drives
Debian's Chromium through Playwright (offline renderer, no keys) and writes create and
library at desktop (1440×900) and phone (390×844) widths, the compare view and the
history at desktop width, and (against the Stability emulator) a run in progress (one
variation done, one generating, one queued), a failed run explained with its next step and
the Edit workspace before and after an inpaint.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from tests.web.flows import (  # noqa: E402
    DESKTOP,
    PHONE,
    PROMPT,
    Watch,
    generate,
    launch,
    new_page,
    pick_template,
    set_variations,
    sign_in,
)
from tests.web.harness import (  # noqa: E402
    Emulated,
    Gate,
    missing_browser,
    running_emulator,
    running_studio,
)


def seed_library(page: Page) -> None:
    """A second batch, a favourite and some tags so the library looks lived-in."""
    pick_template(page, "LinkedIn", "post", "LinkedIn Post")
    page.get_by_label("Prompt", exact=True).fill(
        "Team celebrating a product launch in a bright modern office"
    )
    set_variations(page, 2)
    generate(page, 2)
    page.locator(".run").first.get_by_role("button", name="☆ Favourite").first.click()


def dismiss_toasts(page: Page) -> None:
    for close in page.locator(".toast-close").all():
        close.click()
    expect(page.locator(".toast")).to_have_count(0)


def scroll_below_header(page: Page, selector: str) -> None:
    """Scroll so ``selector`` starts just below the sticky top bar."""
    page.evaluate(
        """(sel) => {
          const top = document.querySelector(sel).getBoundingClientRect().top + window.scrollY;
          const bar = document.getElementById('topbar').getBoundingClientRect().height;
          window.scrollTo(0, top - bar - 12);
        }""",
        selector,
    )


def create_shot(page: Page, path: Path, phone: bool) -> None:
    """On a phone: where Generate left the page (it scrolls the results into view itself)."""
    dismiss_toasts(page)
    if not phone:
        page.evaluate(
            "() => { window.scrollTo(0, 0); document.querySelector('.settings').scrollTo(0, 0); }"
        )
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))


def compare_shot(page: Page, path: Path) -> None:
    """The lightbox on the second of three variations, to compare and pick."""
    dismiss_toasts(page)
    page.locator(".run").first.get_by_role("button", name="Open variation 1 full size").click()
    page.keyboard.press("ArrowRight")
    expect(page.locator("dialog.lightbox .lightbox-count")).to_have_text("2 of 3")
    page.wait_for_function("() => document.querySelector('.lightbox-img').naturalWidth > 0")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.keyboard.press("Escape")


def history_shot(page: Page, path: Path) -> None:
    """Past runs, after a reload: they come from the API."""
    page.reload()
    item = page.locator("#history .history-item").first
    expect(item).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#history img')].every(i => i.naturalWidth > 0)"
    )
    scroll_below_header(page, "#history")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))


def progress_shot(page: Page, stability: Emulated, path: Path) -> None:
    """A run of three as a job, one variation at a time: one done, one at the vendor (held
    there until the shot is taken), one queued."""
    page.get_by_label("Provider").select_option(label="Stability AI")
    page.get_by_label("Prompt", exact=True).fill(PROMPT)
    set_variations(page, 3)
    with Gate(stability.emulator) as gate:
        page.get_by_role("button", name="Generate 3 images").click()
        gate.wait_arrived(1)
        gate.release(1)
        gate.wait_arrived(2)
        run = page.locator(".run").first
        expect(run.locator("[data-unit-state=generating]")).to_have_count(1)
        expect(run.locator("[data-unit-state=queued]")).to_have_count(1)
        expect(run.locator("[data-unit-state=done]")).to_have_count(1)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(path))
        gate.open()
        expect(run.locator(".var-card img")).to_have_count(3, timeout=60_000)


def error_shot(out: Path) -> None:
    """A run in progress (see :func:`progress_shot`), then a run that failed at the vendor,
    explained, with "Try again" and Details open."""
    env = {"IMAGESTUDIO_RETRY_MAX_ATTEMPTS": "1", "IMAGESTUDIO_MAX_CONCURRENT_VARIATIONS": "1"}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_emulator("stability") as stability,
        running_studio(Path(tmp), env={**stability.env, **env}) as studio,
        sync_playwright() as p,
    ):
        browser = launch(p)
        watch = Watch()
        context, page = new_page(browser, DESKTOP, watch)
        sign_in(page, studio.base_url, studio.key)
        progress_shot(page, stability, out / "progress-desktop.png")
        page.get_by_label("Provider").select_option(label="Stability AI")
        page.get_by_label("Prompt", exact=True).fill(PROMPT)
        set_variations(page, 2)
        stability.emulator.fail_next(500, times=2)
        page.get_by_role("button", name="Generate 2 images").click()
        explain = page.locator(".run .explain").first
        expect(explain).to_be_visible(timeout=60_000)
        explain.get_by_text("Details").click()
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / "error-desktop.png"))
        watch.assert_clean()
        context.close()
        browser.close()


def edit_shots(out: Path) -> None:
    """The Edit workspace (Stability emulator): a mask painted and quoted, then the
    inpaint's before/after and the history strip."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_emulator("stability") as stability,
        running_studio(Path(tmp), env=stability.env) as studio,
        sync_playwright() as p,
    ):
        httpx.post(f"{studio.base_url}/api/image-studio/create", timeout=60,
                   headers={"Authorization": f"Bearer {studio.key}"},
                   json={"prompt": PROMPT, "provider": "local", "width": 1024, "height": 640},
                   ).raise_for_status()
        browser = launch(p)
        watch = Watch(expected_failures={422})
        context, page = new_page(browser, DESKTOP, watch)
        sign_in(page, studio.base_url, studio.key)
        page.get_by_role("link", name="Library").click()
        page.locator("button[aria-label^='Open details of']").first.click()
        page.get_by_role("button", name="Edit", exact=True).click()
        dialog = page.locator("dialog.editor")
        dialog.get_by_label("What to paint there").fill("a striped beach umbrella")
        box = dialog.locator("canvas.edit-mask").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.6, steps=8)
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.75, steps=8)
        page.mouse.up()
        expect(dialog.locator(".edit-quote")).to_have_attribute("data-state", "ok")
        drop_toasts = "() => document.querySelectorAll('.toast').forEach(t => t.remove())"
        page.evaluate(drop_toasts)  # under the modal they cannot be clicked away
        page.screenshot(path=str(out / "edit-desktop.png"))
        dialog.get_by_role("button", name="Run edit").click()
        expect(dialog.locator(".edit-done")).to_be_visible(timeout=60_000)
        page.evaluate(drop_toasts)
        dialog.locator(".edit-compare").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / "edit-compare-desktop.png"))
        watch.assert_clean()
        context.close()
        browser.close()


def library_shot(page: Page, path: Path) -> None:
    page.get_by_role("link", name="Library").click()
    expect(page.locator(".asset-card img").first).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.asset-card img')].slice(0, 8)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.locator(".asset-check").first.check()
    dismiss_toasts(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))


def run(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_studio(Path(tmp)) as studio,
        sync_playwright() as p,
    ):
        browser = launch(p)
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            watch = Watch()
            context, page = new_page(browser, viewport, watch)
            sign_in(page, studio.base_url, studio.key)
            if name == "desktop":
                seed_library(page)
            pick_template(page, "Instagram", "square", "Instagram Feed Post (Square)")
            page.get_by_label("Prompt", exact=True).fill(PROMPT)
            set_variations(page, 3)
            expect(page.locator("#quote-amount")).to_have_text("$0.00")
            generate(page, 3)
            create_shot(page, out / f"create-{name}.png", phone=name == "phone")
            if name == "desktop":
                compare_shot(page, out / "compare-desktop.png")
                history_shot(page, out / "history-desktop.png")
            library_shot(page, out / f"library-{name}.png")
            watch.assert_clean()
            context.close()
        browser.close()
    error_shot(out)
    edit_shots(out)
    for shot in sorted(out.glob("*.png")):
        print(f"wrote {shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    reason = missing_browser()
    if reason:
        sys.exit(f"cannot take screenshots: {reason}")
    run(args.out)


if __name__ == "__main__":
    main()
