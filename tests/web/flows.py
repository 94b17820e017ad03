"""Browser steps shared by the E2E tests and the screenshot script (Playwright sync API)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.web.harness import CHROMIUM_ARGS, chromium_path

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PROMPT = "Fresh lemonade stand on a sunny street, bright summer colours"
ALLOWED_SCHEMES = {"data", "blob", "about"}


def launch(playwright: Any) -> Browser:
    """Debian's Chromium through Playwright; never a downloaded browser."""
    browser: Browser = playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    return browser


FAILED_LOAD = "Failed to load resource: the server responded with a status of "


@dataclass
class Watch:
    """Console errors, uncaught page errors and requests to other hosts.

    Chromium logs every API answer >= 400 as a console error; those are kept apart in
    ``failed_loads`` (as status codes) so tests that provoke an error can expect it.
    """

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed_loads: list[int] = field(default_factory=list)
    expected_failures: set[int] = field(default_factory=set)
    origin: str | None = None
    server_may_be_down: bool = False  # a test that stops the server expects refused loads

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self._request(r.url))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        text: str = message.text
        if self.server_may_be_down and "net::ERR_CONNECTION_REFUSED" in text:
            return
        if text.startswith(FAILED_LOAD):
            status = int(text[len(FAILED_LOAD):].split()[0])
            if status in self.expected_failures:
                self.failed_loads.append(status)
                return
        self.console_errors.append(text)

    def _request(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme in ALLOWED_SCHEMES:
            return
        # The first request is the page itself: everything after must go to the same studio.
        self.origin = self.origin or f"{parsed.scheme}://{parsed.netloc}"
        if f"{parsed.scheme}://{parsed.netloc}" != self.origin:
            self.foreign_requests.append(url)

    def assert_clean(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.foreign_requests == [], self.foreign_requests


def new_page(
    browser: Browser, viewport: dict[str, int], watch: Watch
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport, accept_downloads=True)  # type: ignore[arg-type]
    page = context.new_page()
    watch.attach(page)
    return context, page


def sign_in(page: Page, base_url: str, key: str, user: str = "marketer") -> None:
    page.goto(base_url + "/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {user}")).to_be_visible()
    expect(page.get_by_role("heading", name="Create Studio")).to_be_visible()


def pick_template(page: Page, platform: str, query: str, name: str) -> None:
    page.get_by_role("button", name=platform, exact=True).click()
    page.get_by_label("Search templates").fill(query)
    expect(page.get_by_text(re.compile(f"match(es)? “{query}”"))).to_be_visible()
    option = page.get_by_role("radio", name=name, exact=True)
    expect(option).to_have_count(1)
    page.locator(f"label[for='{option.get_attribute('id')}']").click()
    expect(option).to_be_checked()


def set_variations(page: Page, count: int) -> None:
    slider = page.get_by_label("Variations (1–10)")
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(count - 1):
        page.keyboard.press("ArrowRight")
    expect(slider).to_have_value(str(count))


def generate(page: Page, count: int) -> None:
    label = "Generate 1 image" if count == 1 else f"Generate {count} images"
    page.get_by_role("button", name=label).click()
    cards = page.locator(".run").first.locator(".var-card img")
    expect(cards).to_have_count(count, timeout=60_000)
    for index in range(count):
        expect(cards.nth(index)).to_have_js_property("complete", True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.run .var-card img')].every(i => i.naturalWidth > 0)"
    )


def no_horizontal_scroll(page: Page) -> int:
    width: int = page.evaluate("() => document.scrollingElement.scrollWidth")
    return width


UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""

IMAGES_WITHOUT_ALT = """() => [...document.querySelectorAll('img')]
  .filter(img => !img.hasAttribute('alt')).map(img => img.outerHTML.slice(0, 120))"""


def assert_axe_clean(page: Page, where: str) -> None:
    """axe-core (shipped inside the axe-playwright-python wheel) finds no violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']][:3]})"
        for v in results.response["violations"]
    ]
    assert violations == [], f"{where}: {violations}"
