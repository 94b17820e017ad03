"""The Create page runs every create as a job and follows it live (issue 13 §2), against a
studio whose Stability provider is the loopback emulator behind a :class:`Gate`: the test
decides when the vendor answers, so each state is read while it provably holds (no sleeps).

The studio runs two variations at a time and one job at a time, so a 3-variation run has
one variation waiting, and a second job waits in the queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.web.harness import (
    Emulated,
    Gate,
    Studio,
    create_user,
    require_browser,
    running_emulator,
    running_studio,
)

require_browser()

from playwright.sync_api import Page, Route, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import assert_axe_clean, set_variations, sign_in  # noqa: E402

pytestmark = pytest.mark.browser
CORE = {"provider": "stability", "model": "stability/core"}


@pytest.fixture(scope="module")
def stability() -> Iterator[Emulated]:
    with running_emulator("stability") as emulated:
        yield emulated


@pytest.fixture(scope="module")
def jobs_studio(
    tmp_path_factory: pytest.TempPathFactory, stability: Emulated
) -> Iterator[Studio]:
    env = {**stability.env, "IMAGESTUDIO_RETRY_MAX_ATTEMPTS": "1",
           "IMAGESTUDIO_MAX_CONCURRENT_VARIATIONS": "2", "IMAGESTUDIO_JOB_CONCURRENCY": "1"}
    with running_studio(tmp_path_factory.mktemp("jobs"), env=env) as running:
        yield running


class Account:
    """A user of its own per test: the page re-attaches to *its user's* running jobs."""

    def __init__(self, studio: Studio, name: str) -> None:
        self.name = name
        self.key = create_user(studio.data_dir, name, plan="pro", credit_usd="5")
        self.headers = {"Authorization": f"Bearer {self.key}"}
        self.api = studio.base_url + "/api/image-studio"

    def get(self, path: str) -> Any:
        response = httpx.get(self.api + path, headers=self.headers)
        response.raise_for_status()
        return response.json()

    def submit(self, prompt: str, variations: int) -> dict[str, Any]:
        response = httpx.post(
            self.api + "/create", headers={**self.headers, "Prefer": "respond-async"},
            json={"prompt": prompt, "num_variations": variations, **CORE})
        assert response.status_code == 202, response.text
        job: dict[str, Any] = response.json()
        return job


def compose(page: Page, prompt: str, variations: int) -> None:
    page.get_by_label("Provider").select_option(label="Stability AI")
    page.get_by_label("Model", exact=True).select_option(label="Stable Image Core")
    expect(page.locator(".quote")).to_contain_text("Stable Image Core")
    page.get_by_label("Prompt", exact=True).fill(prompt)
    set_variations(page, variations)


def test_each_variation_shows_its_progress_live_and_a_finished_one_first(
    jobs_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    user = Account(jobs_studio, "live")
    page, _ = open_page()
    sign_in(page, jobs_studio.base_url, user.key, user=user.name)
    compose(page, "Three lemons on a marble table", 3)
    with Gate(stability.emulator) as gate:
        page.get_by_role("button", name="Generate 3 images").click()
        run = page.locator(".run").first
        gate.wait_arrived(2)  # two at the vendor; the third waits for a free slot
        expect(run.locator("[data-unit-state=generating]")).to_have_count(2)
        expect(run.locator("[data-unit-state=queued]")).to_have_count(1)
        expect(run.locator("[data-unit-state=queued]")).to_contain_text("Queued")
        expect(run.get_by_role("progressbar")).to_have_count(2)
        expect(page.get_by_role("button", name="Generating…")).to_be_disabled()
        assert_axe_clean(page, "create, run in progress")

        gate.release(1)  # one variation finishes before the others
        expect(run.locator("[data-unit-state=done]")).to_have_count(1)
        expect(run.locator("[data-unit-state=done]")).to_contain_text("✓ Done")
        gate.wait_arrived(3)  # its slot went to the third
        expect(run.locator("[data-unit-state=generating]")).to_have_count(2)
        expect(run.locator("[data-unit-state=queued]")).to_have_count(0)
        expect(run.locator(".run-status")).to_contain_text("1 of 3 done")
        # Images come with the run's end: a run's files, library rows and charge are
        # recorded in one transaction.
        expect(run.locator(".var-card img")).to_have_count(0)
        gate.open()
        expect(run.locator(".var-card img")).to_have_count(3, timeout=60_000)
    job = user.get(f"/jobs/{run.get_attribute('data-job-id')}")
    assert job["state"] == "succeeded" and job["cost"] == job["quote"]
    assert job["cost"]["micros"] > 0
    expect(run.locator(".run-status")).to_have_text(
        f"3 variations ready · cost {job['cost']['usd']}")
    expect(run.locator(".run-cost")).to_have_text(
        f"Quoted {job['quote']['usd']} · charged {job['cost']['usd']}")
    expect(run.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_role("button", name="Generate 3 images")).to_be_enabled()


def test_a_reload_mid_run_reattaches_to_the_job_and_sees_it_finish(
    jobs_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    user = Account(jobs_studio, "reloader")
    page, _ = open_page()
    sign_in(page, jobs_studio.base_url, user.key, user=user.name)
    compose(page, "A kite over the dunes", 2)
    with Gate(stability.emulator) as gate:
        page.get_by_role("button", name="Generate 2 images").click()
        run = page.locator(".run").first
        gate.wait_arrived(2)
        gate.release(1)
        expect(run.locator("[data-unit-state=done]")).to_have_count(1)
        job_id = run.get_attribute("data-job-id")
        assert job_id

        page.reload()
        expect(page.get_by_role("heading", name="Create Studio")).to_be_visible()
        again = page.locator(f".run[data-job-id='{job_id}']")
        expect(again).to_have_count(1)  # found through GET /jobs?state=queued&state=running
        expect(again.locator("[data-unit-state=done]")).to_have_count(1)  # events replayed
        expect(again.locator("[data-unit-state=generating]")).to_have_count(1)
        expect(again.locator("h3")).to_have_text("No template · 1:1")
        expect(again.get_by_role("button", name="Cancel")).to_be_enabled()
        expect(page.locator("#history .history-item")).to_have_count(0)  # not ended yet
        gate.open()
        expect(again.locator(".var-card img")).to_have_count(2, timeout=60_000)
    job = user.get(f"/jobs/{job_id}")
    expect(again.locator(".run-status")).to_have_text(
        f"2 variations ready · cost {job['cost']['usd']}")
    history = page.locator("#history .history-item")
    expect(history).to_have_count(1)  # the ended run joins the history
    expect(history).to_contain_text("A kite over the dunes")
    expect(page.locator(".run")).to_have_count(1)


def test_cancel_a_queued_job_then_a_running_one(
    jobs_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    user = Account(jobs_studio, "canceller")
    paid_before = len(stability.emulator.paid)
    with Gate(stability.emulator) as gate:
        first = user.submit("The job that holds the only slot", 1)
        gate.wait_arrived(1)
        second = user.submit("The job that waits in the queue", 2)
        page, _ = open_page()
        sign_in(page, jobs_studio.base_url, user.key, user=user.name)
        running = page.locator(f".run[data-job-id='{first['id']}']")
        queued = page.locator(f".run[data-job-id='{second['id']}']")
        expect(page.locator(".run").first).to_have_attribute("data-job-id", second["id"])
        expect(queued.locator(".run-status")).to_contain_text(
            "Queued: 2 variations start when the studio is free")
        expect(running.locator("[data-unit-state=generating]")).to_have_count(1)
        assert_axe_clean(page, "create, a running and a queued run")

        queued.get_by_role("button", name="Cancel").click()  # released whole, at once
        expect(queued.locator(".run-status")).to_have_text(
            "Cancelled: nothing was made and nothing was charged.")
        quote = second["quote"]["usd"]
        expect(queued.locator(".run-cost")).to_have_text(
            f"Quoted {quote} · charged $0.00 · {quote} released")
        ended = user.get(f"/jobs/{second['id']}")  # the job first, then the money
        usage = user.get("/usage")
        assert ended["state"] == "cancelled" and ended["cost"]["micros"] == 0
        assert usage["held"]["micros"] == first["quote"]["micros"]  # only the running one

        running.get_by_role("button", name="Cancel").click()
        expect(running.locator(".run-status")).to_contain_text("Cancelling: variations not started")
        gate.open()  # the vendor delivers what it was already making
        expect(running.locator(".run-status")).to_have_text(
            "Cancelled too late: the variation was already generating, so it was made and "
            "charged.", timeout=60_000)
    expect(running.locator(".var-card img")).to_have_count(1)
    ended = user.get(f"/jobs/{first['id']}")
    usage = user.get("/usage")
    assert ended["state"] == "cancelled" and ended["cost"] == ended["quote"]
    assert usage["held"]["micros"] == 0
    assert usage["balance"]["micros"] == 5_000_000 - ended["cost"]["micros"]
    assert len(stability.emulator.paid) - paid_before == 1  # the queued job sent nothing


def test_a_dropped_event_stream_resumes_after_the_last_event_it_had(
    jobs_studio: Studio, stability: Emulated, open_page: OpenPage
) -> None:
    """The first connection to the job's events ends after one event (as when a proxy or
    the network drops it); the page reconnects with ``Last-Event-ID`` and misses nothing."""
    user = Account(jobs_studio, "resumer")
    page, _ = open_page()
    sign_in(page, jobs_studio.base_url, user.key, user=user.name)
    compose(page, "A lantern in the fog", 1)
    asked: list[str | None] = []

    def drop_the_first(route: Route) -> None:
        asked.append(route.request.headers.get("last-event-id"))
        if len(asked) > 1:
            route.continue_()
            return
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"},
                      body='retry: 50\n\nid: 1\nevent: queued\ndata: {"units": 1}\n\n')

    page.route("**/api/image-studio/jobs/*/events", drop_the_first)
    with Gate(stability.emulator) as gate:
        page.get_by_role("button", name="Generate 1 image").click()
        run = page.locator(".run").first
        gate.wait_arrived(1)
        expect(run.locator("[data-unit-state=generating]")).to_have_count(1)
        gate.open()
        expect(run.locator(".var-card img")).to_have_count(1, timeout=60_000)
    assert asked[:2] == [None, "1"]
    expect(run.locator(".run-status")).to_contain_text("1 variation ready")
