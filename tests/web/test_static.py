"""The page and its files carry a Content-Security-Policy that keeps the UI on the studio."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from tests.web.harness import Studio

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.mark.parametrize("path", ["/", "/static/js/main.js", "/static/css/base.css"])
def test_every_ui_file_carries_the_policy(studio: Studio, path: str) -> None:
    response = httpx.get(studio.base_url + path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.browser
def test_the_browser_refuses_to_contact_another_host(studio: Studio, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    page.goto(studio.base_url + "/")
    outcome = page.evaluate(
        "() => fetch('http://198.51.100.7/track').then(() => 'sent', () => 'refused')"
    )
    context.close()
    assert outcome == "refused"
    assert not [url for url in sent if "198.51.100.7" in url]
    assert any("Content Security Policy" in e for e in errors), errors
