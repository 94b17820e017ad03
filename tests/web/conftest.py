"""Browser-test fixtures: one Chromium per session, one offline studio per session, and
pages that fail their test on a console error or a request to another host.

Nothing here imports Playwright at module level, so the non-browser tests in this folder
still run where it is missing; browser modules call ``require_browser()`` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from tests.web.harness import Studio, missing_browser, require_env_failure, running_studio

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from tests.web.flows import Watch

OpenPage = Callable[..., "tuple[Page, Watch]"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module: the sync API runs an event loop of its own for as long
    as it is open, so it must be closed before a module of asyncio tests runs in the same
    worker process (the suite is spread over processes, one file per worker)."""
    reason = missing_browser()
    if reason:
        require_env_failure(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    from tests.web.flows import launch

    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """``imagestudio serve`` with no vendor keys (offline renderer), shared by the session."""
    with running_studio(tmp_path_factory.mktemp("studio")) as running:
        yield running


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """``open_page(viewport=DESKTOP)`` → a fresh context's page and its :class:`Watch`.

    After the test every page must have logged no console error, thrown nothing and asked
    no other host for anything.
    """
    from tests.web.flows import DESKTOP, Watch, new_page

    opened = []

    def factory(viewport: dict[str, int] | None = None) -> tuple[Page, Watch]:
        watch = Watch()
        context, page = new_page(browser, viewport or DESKTOP, watch)
        opened.append((context, watch))
        return page, watch

    yield factory
    for context, watch in opened:
        context.close()
        watch.assert_clean()
