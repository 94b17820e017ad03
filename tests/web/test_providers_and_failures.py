"""Provider and model choice, model-specific settings, and failures shown per variation,
against a studio whose Stability provider is the loopback emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.web.harness import Emulated, Studio, require_browser, running_emulator, running_studio

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import set_variations, sign_in  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stability() -> Iterator[Emulated]:
    with running_emulator("stability") as emulated:
        yield emulated


@pytest.fixture(scope="module")
def vendor_studio(
    tmp_path_factory: pytest.TempPathFactory, stability: Emulated
) -> Iterator[Studio]:
    with running_studio(tmp_path_factory.mktemp("vendor"), env=stability.env) as running:
        yield running


def choose(page: Page, provider: str, model: str) -> None:
    page.get_by_label("Provider").select_option(label=provider)
    page.get_by_label("Model", exact=True).select_option(label=model)
    expect(page.locator(".quote")).to_contain_text(model)


def test_only_configured_providers_can_be_chosen(
    vendor_studio: Studio, open_page: OpenPage
) -> None:
    page, _ = open_page()
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    provider = page.get_by_label("Provider")
    expect(provider.locator("option[value=stability]")).to_be_enabled()
    openai = provider.locator("option[value=openai]")
    expect(openai).to_be_disabled()
    expect(openai).to_contain_text("not set up on this studio")
    page.get_by_text("Why are 4 providers unavailable?").click()
    why = page.locator("details.why")
    expect(why).to_contain_text("Your admin can set them up")
    expect(why.locator(".explain-details")).to_contain_text("GEMINI_API_KEY")  # behind details

    page.get_by_text("Advanced settings").click()
    choose(page, "Stability AI", "Stable Diffusion 3.5 Large")
    guidance = page.get_by_label("Guidance scale")
    expect(guidance).to_be_visible()
    expect(guidance).to_have_attribute("max", "10")
    expect(page.get_by_label("Steps")).to_be_hidden()
    expect(page.get_by_label("Negative prompt")).to_be_enabled()
    choose(page, "Stability AI", "Stable Image Ultra")
    expect(guidance).to_be_hidden()

    page.get_by_label("Provider").select_option(label="Offline draft renderer (not an AI model)")
    expect(page.get_by_label("Negative prompt")).to_be_disabled()
    expect(page.get_by_text("does not take a negative prompt")).to_be_visible()


def test_picking_a_template_keeps_the_chosen_provider(
    vendor_studio: Studio, open_page: OpenPage
) -> None:
    page, _ = open_page()
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    choose(page, "Stability AI", "Stable Image Core")
    page.get_by_role("button", name="YouTube", exact=True).click()
    page.locator("label", has_text="YouTube Thumbnail").first.click()
    expect(page.get_by_label("Provider")).to_have_value("stability")
    expect(page.get_by_label("Model", exact=True)).to_have_value("stability/core")
    expect(page.locator(".quote")).to_contain_text("1280 × 720 px")
    expect(page.locator(".quote")).to_contain_text("Stable Image Core")


def compose_with_stability(page: Page, studio: Studio, prompt: str, variations: int) -> None:
    """Signed in, Stability's Core model chosen, ``prompt`` and ``variations`` filled in."""
    sign_in(page, studio.base_url, studio.key)
    choose(page, "Stability AI", "Stable Image Core")
    page.get_by_label("Prompt", exact=True).fill(prompt)
    set_variations(page, variations)


def test_partial_failure_is_shown_per_variation(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    page, _ = open_page()
    compose_with_stability(page, vendor_studio, "A harbour at golden hour", 3)
    stability.emulator.reject_content(times=1)
    page.get_by_role("button", name="Generate 3 images").click()
    run = page.locator(".run").first
    expect(run.locator(".run-status")).to_contain_text("2 of 3 variations ready, 1 failed",
                                                       timeout=60_000)
    expect(run.locator(".var-card img")).to_have_count(2)
    failed = run.locator(".var-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("failed")
    expect(failed.locator(".var-error")).not_to_be_empty()


def test_total_failure_shows_the_api_error(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    page, watch = open_page()
    compose_with_stability(page, vendor_studio, "A lighthouse in a storm", 2)
    # A 400 fails each call without tripping the provider's circuit breaker (a 401 would).
    stability.emulator.fail_next(400, times=2)
    page.get_by_role("button", name="Generate 2 images").click()
    run = page.locator(".run").first
    status = run.locator(".run-status")
    expect(status).to_have_text("Stability AI could not accept these settings.", timeout=60_000)
    expect(status).to_have_attribute("role", "alert")
    expect(run.locator(".explain-next").first).to_contain_text("Change the size or the advanced")
    cards = run.locator(".var-failed")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Variation 1 of 2 failed")
    cards.first.get_by_text("Details").click()
    expect(cards.first.locator(".explain-details")).to_contain_text("provider_bad_request")
    assert watch.failed_loads == []  # a job that failed: no HTTP error, the same words
    expect(page.get_by_role("button", name="Generate 2 images")).to_be_enabled()


def test_each_variation_shows_its_progress(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    page, _ = open_page()
    compose_with_stability(page, vendor_studio, "A slow vendor", 3)
    stability.emulator.latency_s = 1.5
    try:
        page.get_by_role("button", name="Generate 3 images").click()
        run = page.locator(".run").first
        for index in range(1, 4):
            expect(run.get_by_role("progressbar", name=f"Generating variation {index} of 3")
                   ).to_be_visible()
        expect(page.get_by_role("button", name="Generating…")).to_be_disabled()
        expect(run.locator(".var-card img")).to_have_count(3, timeout=60_000)
        expect(run.get_by_role("progressbar")).to_have_count(0)
    finally:
        stability.emulator.latency_s = 0.0
