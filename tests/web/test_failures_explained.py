"""Issue 17 defects 2, 3 and 4 against a studio whose Stability provider is the loopback
emulator: vendor errors and plan refusals in a marketer's words with one next step (the
technical text behind "Details"), a vendor's cooldown shown before Generate, and Auto's
change of model when a vendor key appears."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from tests.web.harness import (
    Emulated,
    Studio,
    create_user,
    require_browser,
    running_emulator,
    running_studio,
)

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import assert_axe_clean, set_variations, sign_in  # noqa: E402

pytestmark = pytest.mark.browser
FAST = {"IMAGESTUDIO_RETRY_MAX_ATTEMPTS": "1"}


@pytest.fixture(scope="module")
def stability() -> Iterator[Emulated]:
    with running_emulator("stability") as emulated:
        yield emulated


@pytest.fixture(scope="module")
def vendor_studio(
    tmp_path_factory: pytest.TempPathFactory, stability: Emulated
) -> Iterator[Studio]:
    env = {**stability.env, **FAST, "IMAGESTUDIO_BREAKER_FAILURES": "100"}
    with running_studio(tmp_path_factory.mktemp("explained"), env=env) as running:
        yield running


@pytest.fixture(scope="module")
def cooling_studio(
    tmp_path_factory: pytest.TempPathFactory, stability: Emulated
) -> Iterator[Studio]:
    env = {**stability.env, **FAST, "IMAGESTUDIO_BREAKER_FAILURES": "2",
           "IMAGESTUDIO_BREAKER_COOLDOWN_S": "300"}
    with running_studio(tmp_path_factory.mktemp("cooling"), env=env) as running:
        yield running


def with_stability(page: Page, prompt: str, variations: int = 1) -> None:
    page.get_by_label("Provider").select_option(label="Stability AI")
    page.get_by_label("Model", exact=True).select_option(label="Stable Image Core")
    expect(page.locator(".quote")).to_contain_text("Stable Image Core")
    page.get_by_label("Prompt", exact=True).fill(prompt)
    if variations > 1:
        set_variations(page, variations)


def test_a_vendor_outage_is_explained_with_a_next_step(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    page, watch = open_page()
    watch.expected_failures.add(502)
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    with_stability(page, "A lighthouse in a storm", 2)
    stability.emulator.fail_next(500, times=2)
    page.get_by_role("button", name="Generate 2 images").click()
    run = page.locator(".run").first
    status = run.locator(".run-status")
    expect(status).to_have_text(
        "Stability AI is having trouble right now, so this image could not be made.",
        timeout=60_000)
    shown = run.inner_text()  # what is on screen, closed "Details" excluded
    raw = ("HTTP 500", "internal_error", "provider_unavailable", "variation(s)", "stability ·")
    assert [text for text in raw if text in shown] == []
    explain = run.locator(".explain").first
    expect(explain.locator(".explain-next")).to_contain_text("Try again in a minute")
    explain.get_by_text("Details").click()
    expect(explain.locator(".explain-details")).to_contain_text("provider_unavailable")
    assert_axe_clean(page, "create, failed run")

    explain.get_by_role("button", name="Try again").click()  # the vendor is healthy again
    latest = page.locator(".run").first
    expect(latest.locator(".var-card img")).to_have_count(2, timeout=60_000)
    assert watch.failed_loads == [502]


def test_not_enough_credit_says_what_to_do(
    vendor_studio: Studio, open_page: OpenPage
) -> None:
    key = create_user(vendor_studio.data_dir, "broke", plan="pro", credit_usd="0")
    page, _ = open_page()
    sign_in(page, vendor_studio.base_url, key, user="broke")
    with_stability(page, "A paid image without credit")
    reason = page.locator("#action-reason")
    expect(reason).to_contain_text("Not enough credit: this request costs $0.0")
    expect(reason).to_contain_text("your credit is $0.00")
    box = page.locator(".preflight")
    expect(box).to_contain_text("Ask your admin to add credit")
    expect(box).not_to_contain_text("-$")
    expect(box).to_contain_text("not enough for")
    assert_axe_clean(page, "create, plan refusal")
    box.get_by_role("button", name="Use the free draft").click()
    expect(page.locator("#preflight-verdict")).to_have_text("✓ Your plan covers this request.")
    expect(page.locator("#generate")).to_be_enabled()


def test_single_user_mode_says_how_to_add_credit(
    tmp_path_factory: pytest.TempPathFactory, stability: Emulated, open_page: OpenPage
) -> None:
    env = {**stability.env, **FAST}
    with running_studio(tmp_path_factory.mktemp("local"), "--single-user", env=env) as local:
        page, _ = open_page()
        page.goto(local.base_url + "/")
        page.get_by_role("button", name="Continue as local user").click()
        expect(page.get_by_role("heading", name="Create Studio")).to_be_visible()
        with_stability(page, "A paid image on the owner's machine")
        box = page.locator(".preflight")
        expect(box).to_contain_text("Not enough credit")
        expect(box).to_contain_text("imagestudio credits grant local 10")


def test_auto_says_when_it_moves_from_the_free_draft_to_a_paid_model(
    vendor_studio: Studio, open_page: OpenPage
) -> None:
    page, _ = open_page()
    page.goto(vendor_studio.base_url + "/")
    # What this browser saw before the Stability key was set: Auto used the free draft.
    page.evaluate("localStorage.setItem('imagestudio.autoModel.standard', 'local/draft-renderer')")
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    notice = page.locator("#auto-change")
    expect(notice).to_contain_text("Auto now uses")
    expect(notice).to_contain_text("instead of Offline draft renderer")
    expect(notice).to_contain_text("per image")
    page.reload()
    expect(page.locator("#quote-amount")).to_be_visible()
    expect(page.locator("#auto-change")).to_have_count(0)  # said once


def test_a_cooldown_is_shown_before_generate_with_other_choices(
    cooling_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    page, watch = open_page()
    watch.expected_failures.add(502)
    sign_in(page, cooling_studio.base_url, cooling_studio.key)
    with_stability(page, "An outage opens the circuit", 2)
    stability.emulator.fail_next(500, times=2)
    page.get_by_role("button", name="Generate 2 images").click()
    expect(page.locator(".run .run-status").first).to_contain_text(
        "having trouble", timeout=60_000)
    vendor = page.locator(".vendor-state")
    expect(vendor).to_contain_text("Stability AI is recovering from an outage")
    expect(vendor).to_contain_text("tried again in about")
    expect(page.locator("#action-reason")).to_contain_text("Stability AI is recovering")
    expect(page.locator("#generate")).to_be_disabled()
    expect(page.get_by_text("✓ Your plan covers this request.")).to_have_count(1)
    assert_axe_clean(page, "create, vendor cooling down")
    vendor.get_by_role("button", name="Use the free draft").click()
    expect(page.get_by_label("Provider")).to_have_value("local")
    expect(vendor).to_be_hidden()
    expect(page.locator("#generate")).to_be_enabled()


def test_cancel_stops_the_run_and_releases_its_credit(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    key = create_user(vendor_studio.data_dir, "canceller", plan="pro", credit_usd="5")
    page, watch = open_page()
    sign_in(page, vendor_studio.base_url, key, user="canceller")
    with_stability(page, "A slow vendor, then a change of mind", 2)
    stability.emulator.latency_s = 4.0
    try:
        page.get_by_role("button", name="Generate 2 images").click()
        run = page.locator(".run").first
        page.wait_for_timeout(800)  # the vendor calls are under way
        run.get_by_role("button", name="Cancel").click()
        expect(run.locator(".run-status")).to_have_text("Cancelled.")
        expect(run.locator(".explain")).to_contain_text("You cancelled this generation")
        expect(run.get_by_role("button", name="Cancel")).to_have_count(0)
        expect(page.get_by_role("button", name="Generate 2 images")).to_be_enabled()
    finally:
        stability.emulator.latency_s = 0.0
    headers = {"Authorization": f"Bearer {key}"}
    api = vendor_studio.base_url + "/api/image-studio"
    deadline = time.monotonic() + 15
    while True:  # the server notices the disconnect within a poll
        # The run first: its end and the release are one transaction, so usage read after
        # a finished run shows the release.
        runs = httpx.get(f"{api}/ui/history", headers=headers).json()["items"]
        usage = httpx.get(f"{api}/usage", headers=headers).json()
        if runs and runs[0]["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert usage["held"]["micros"] == 0
    assert usage["balance"]["usd"] == "$5.00"
    assert runs[0]["status"] == "failed" and runs[0]["assets"] == []
    assert watch.console_errors == []


def test_a_bad_vendor_key_says_ask_your_admin_and_is_logged(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    """Last in this module: a refused key cools Stability down in this studio."""
    page, watch = open_page()
    watch.expected_failures.add(502)
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    with_stability(page, "A key the vendor refuses")
    stability.emulator.api_key = "the-right-key"  # the studio's key is now wrong
    try:
        page.get_by_role("button", name="Generate 1 image").click()
        run = page.locator(".run").first
        expect(run.locator(".run-status")).to_have_text(
            "This studio's Stability AI account is not working, so Stability AI cannot make "
            "images.", timeout=60_000)
        expect(run.locator(".explain-next").first).to_contain_text("Ask your admin")
        assert "unauthorized" not in run.inner_text()
    finally:
        stability.emulator.api_key = None
    assert "refused our account" in vendor_studio.log.read_text()
