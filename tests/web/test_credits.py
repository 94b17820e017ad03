"""Plans and credits in the UI: the pre-flight verdict before Generate and the header's
allowance line, compared with what the real API answers. The UI shows credits only when
the server has ``POST /preflight`` and ``GET /usage``; without them these tests skip."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.web.harness import Studio, create_user, require_browser

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import sign_in  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def credit_routes(studio: Studio) -> None:
    features = httpx.get(f"{studio.base_url}/api/image-studio/ui/config").json()["features"]
    if not (features["preflight"] and features["usage"]):
        pytest.skip("this server has no /preflight and /usage routes (plans and credits)")


def preflight_after(page: Page, action: Any) -> dict[str, Any]:
    """Run ``action`` and return the pre-flight answer the page received after it."""
    with page.expect_response(lambda r: r.url.endswith("/api/image-studio/preflight")) as got:
        action()
    answer: dict[str, Any] = got.value.json()
    return answer


def test_preflight_verdict_and_allowance(studio: Studio, open_page: OpenPage) -> None:
    page, _ = open_page()
    sign_in(page, studio.base_url, studio.key)
    usage = httpx.get(f"{studio.base_url}/api/image-studio/usage",
                      headers={"Authorization": f"Bearer {studio.key}"}).json()
    credits = page.locator("#credits")
    expect(credits).to_be_visible()
    expect(credits).to_contain_text(usage["plan"]["name"])
    expect(credits).to_contain_text(usage["balance"]["usd"])

    answer = preflight_after(
        page, lambda: page.get_by_label("Prompt", exact=True).fill("Credits check"))
    assert answer["can_proceed"] is True
    box = page.locator(".preflight")
    expect(page.locator("#preflight-verdict")).to_have_text("✓ Your plan covers this request.")
    expect(box).to_contain_text(answer["plan"]["name"])
    expect(box).to_contain_text(answer["balance_after"]["usd"])
    expect(page.locator("#generate")).to_be_enabled()


def test_a_refusal_is_explained_before_generating(studio: Studio, open_page: OpenPage) -> None:
    key = create_user(studio.data_dir, "free-user", plan="free")
    page, _ = open_page()
    sign_in(page, studio.base_url, key, user="free-user")
    preflight_after(
        page, lambda: page.get_by_label("Prompt", exact=True).fill("Premium on the free plan"))
    answer = preflight_after(page, lambda: page.get_by_text("Premium", exact=True).click())
    assert answer["can_proceed"] is False
    expect(page.locator("#preflight-verdict")).to_have_text(
        "✕ This request does not fit your plan:")
    reasons = page.locator(".reasons li")
    expect(reasons).to_have_count(len(answer["reasons"]))
    for index, reason in enumerate(answer["reasons"]):  # the server's words behind Details
        expect(reasons.nth(index).locator(".explain-details")).to_have_text(
            "Details" + reason["message"])
    first = reasons.first
    expect(first.locator(".explain-say")).to_have_text(
        "The Free plan does not include this quality.")
    expect(page.locator("#generate")).to_be_disabled()
    expect(page.locator("#action-reason")).to_have_text(
        "The Free plan does not include this quality.")
    first.get_by_role("button", name="Use Standard").click()
    expect(page.locator("#preflight-verdict")).to_have_text("✓ Your plan covers this request.")
