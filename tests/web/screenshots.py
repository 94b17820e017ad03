"""Take the README's screenshots of the Create Studio and the library.

    python tests/web/screenshots.py [--out docs/screenshots]

Starts a real ``imagestudio serve`` on loopback with a throw-away data directory, drives
Debian's Chromium through Playwright (offline renderer, no keys) and writes create and
library at desktop (1440×900) and phone (390×844) widths, the compare view and the
history at desktop width, and (against the Stability emulator, told to fail) a failed run
explained with its next step.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

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
    dismiss_toasts(page)
    if phone:
        scroll_below_header(page, ".results")
    else:
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


def error_shot(out: Path) -> None:
    """A run that failed at the vendor, explained, with "Try again" and Details open."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_emulator("stability") as stability,
        running_studio(Path(tmp), env={**stability.env, "IMAGESTUDIO_RETRY_MAX_ATTEMPTS": "1"})
        as studio,
        sync_playwright() as p,
    ):
        browser = launch(p)
        watch = Watch(expected_failures={502})
        context, page = new_page(browser, DESKTOP, watch)
        sign_in(page, studio.base_url, studio.key)
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
