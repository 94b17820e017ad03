"""Upscale from an image's detail view, against a studio whose Stability provider is the
loopback emulator: every mode listed with its price and input limits (a vendor without a
key shown as not configured), a free local ×2 that lands as a new image linked to its
source, and a Stability Fast upscale whose vendor failure is explained and costs nothing,
then succeeds at its quoted price."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.web.harness import Emulated, Studio, require_browser, running_emulator, running_studio

require_browser()

from playwright.sync_api import Locator, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import assert_axe_clean, sign_in  # noqa: E402

from imagestudio.optimize.upscale import load_modes  # noqa: E402

pytestmark = pytest.mark.browser
FAST = load_modes()["stability/fast"].price_micros


@pytest.fixture(scope="module")
def stability() -> Iterator[Emulated]:
    with running_emulator("stability") as emulated:
        yield emulated


@pytest.fixture(scope="module")
def vendor_studio(
    tmp_path_factory: pytest.TempPathFactory, stability: Emulated
) -> Iterator[Studio]:
    env = {**stability.env, "IMAGESTUDIO_RETRY_MAX_ATTEMPTS": "1",
           "IMAGESTUDIO_BREAKER_FAILURES": "100"}
    with running_studio(tmp_path_factory.mktemp("upscale"), env=env) as running:
        yield running


def _get(studio: Studio, path: str) -> Any:
    response = httpx.get(f"{studio.base_url}/api/image-studio{path}",
                         headers={"Authorization": f"Bearer {studio.key}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _children(studio: Studio, source_id: str) -> list[dict[str, Any]]:
    page = _get(studio, "/assets?limit=100")
    items = page["items"] if isinstance(page, dict) else page
    return [a for a in items if a.get("parent_id") == source_id]


def _mode_option(panel: Locator, value: str) -> Locator:
    return panel.locator(f"select >> nth=0 >> option[value='{value}']")


def test_upscale_local_then_a_vendor_failure_explained_then_its_success(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    created = httpx.post(
        f"{vendor_studio.base_url}/api/image-studio/create",
        json={"prompt": "Harbour at dawn", "provider": "local", "width": 512, "height": 384},
        headers={"Authorization": f"Bearer {vendor_studio.key}"}, timeout=60,
    ).json()
    source_id = created["variations"][0]["asset_id"]
    balance = _get(vendor_studio, "/usage")["balance"]["micros"]
    page, watch = open_page()
    watch.expected_failures.add(502)
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_role("button", name="Open details of Harbour at dawn").click()
    panel = page.get_by_role("form", name="Upscale this image")
    mode = panel.get_by_label("Upscale with")
    expect(_mode_option(panel, "stability/fast")).to_have_text(
        "Stability Fast Upscaler, $0.02 per image")
    expect(_mode_option(panel, "wavespeed/image-upscaler")).to_contain_text("(not configured)")
    expect(_mode_option(panel, "wavespeed/image-upscaler")).to_be_disabled()
    about = panel.locator("[data-role=mode-about]")
    expect(about).to_contain_text("Free")
    quote = panel.locator("[data-role=upscale-quote]")
    expect(quote).to_have_text("Free · makes 1024 × 768 px")
    assert_axe_clean(page, "the detail view with its Upscale panel")

    panel.get_by_role("button", name="Upscale").click()
    done = panel.locator("[data-role=upscale-done]")
    expect(done).to_contain_text("Upscaled to 1024 × 768 px, free (resampled, not AI)")
    assert_axe_clean(page, "upscale panel, done")
    [local] = _children(vendor_studio, source_id)
    assert (local["width"], local["height"], local["operation"]) == (1024, 768, "upscale")

    mode.select_option("stability/fast")
    expect(about).to_contain_text("$0.02 per image")
    expect(about).to_contain_text("sides 32–1,536 px, 1,024–1,048,576 pixels")
    expect(about).to_contain_text("this one is 512 × 384 (fits)")
    expect(quote).to_have_text("$0.02 · makes 2048 × 1536 px")
    stability.emulator.fail_next(500)
    panel.get_by_role("button", name="Upscale").click()
    explained = panel.locator(".explain")
    expect(explained).to_be_visible(timeout=30_000)
    expect(explained).to_contain_text("Next step")
    assert_axe_clean(page, "upscale panel, vendor failure explained")
    assert _get(vendor_studio, "/usage")["balance"]["micros"] == balance  # nothing charged
    assert len(_children(vendor_studio, source_id)) == 1

    panel.get_by_role("button", name="Upscale").click()
    expect(done).to_contain_text("Upscaled to 2048 × 1536 px for $0.02", timeout=30_000)
    assert _get(vendor_studio, "/usage")["balance"]["micros"] == balance - FAST
    ai = [a for a in _children(vendor_studio, source_id) if a["width"] == 2048]
    assert len(ai) == 1 and ai[0]["provider"] == "stability"


def test_optimize_with_a_vendor_upscale_first_is_quoted_and_charged_as_one_total(
    vendor_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    httpx.post(
        f"{vendor_studio.base_url}/api/image-studio/create",
        json={"prompt": "Lighthouse keeper portrait", "provider": "local", "width": 512,
              "height": 384},
        headers={"Authorization": f"Bearer {vendor_studio.key}"}, timeout=60,
    ).raise_for_status()
    balance = _get(vendor_studio, "/usage")["balance"]["micros"]
    sent = len(stability.emulator.requests("POST"))
    page, _ = open_page()
    sign_in(page, vendor_studio.base_url, vendor_studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_role("button", name="Open details of Lighthouse keeper portrait").click()
    page.get_by_role("button", name="Optimize for platforms").click()
    dialog = page.locator("dialog.optimizer")
    quote = dialog.locator("[data-role=opt-quote]")
    expect(quote).to_contain_text("Free · ")
    expect(quote).to_contain_text("need more pixels than the source has")
    choice = dialog.get_by_label("Targets bigger than the source")
    expect(choice.locator("option[value='stability/fast']")).to_have_text(
        "Stability Fast Upscaler first, $0.02")
    choice.select_option("stability/fast")
    expect(quote).to_contain_text("$0.02 · ")
    assert len(stability.emulator.requests("POST")) == sent  # a quote sends nothing
    dialog.get_by_role("button", name="Create renditions").click()
    expect(dialog.locator(".opt-result")).to_contain_text(
        "cut from a 2048 × 1536 stability/fast upscale for $0.02", timeout=60_000)
    assert _get(vendor_studio, "/usage")["balance"]["micros"] == balance - FAST
    assert len(stability.emulator.requests("POST")) == sent + 1
