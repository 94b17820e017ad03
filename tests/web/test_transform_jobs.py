"""The Library's Transform panel re-attaches to a video job still running after a page
reload (issue 13 §2, issue 16): Veo on the Gemini API is the loopback emulator, whose
operation stays unfinished until the test lets it finish; the panel of the same image,
opened after the reload, follows the job to its clip, and the vendor saw one submit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from tests.web.harness import Emulated, Studio, require_browser, running_emulator, running_studio

require_browser()
pytest.importorskip("av")

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import sign_in  # noqa: E402

from imagestudio.emulators.veo import VeoEmulator  # noqa: E402

pytestmark = pytest.mark.browser
VEO = "gemini/veo-3.1-generate-preview"
NEVER = 10**9  # polls before the emulated operation is done, until the test says


@pytest.fixture(scope="module")
def veo() -> Iterator[Emulated]:
    def make(base_url: str) -> VeoEmulator:
        return VeoEmulator(None, base_url=base_url, polls_before_done=NEVER)

    with running_emulator("gemini", make) as emulated:
        yield emulated


@pytest.fixture(scope="module")
def video_studio(tmp_path_factory: pytest.TempPathFactory, veo: Emulated) -> Iterator[Studio]:
    env = {**veo.env, "IMAGESTUDIO_VIDEO_POLL_INTERVAL_S": "0.2"}
    with running_studio(tmp_path_factory.mktemp("video-jobs"), env=env) as running:
        yield running


def open_transform(page: Page) -> None:
    page.get_by_label("Search your library").fill("lighthouse")
    page.get_by_role("button", name="Open details of Lighthouse at dusk").first.click()


def until_polled(emulator: VeoEmulator, polls: int) -> None:
    deadline = time.monotonic() + 60
    while not any(job.polls >= polls for job in emulator.jobs.values()):
        assert time.monotonic() < deadline, "the studio never polled the Veo operation"
        time.sleep(0.05)


def test_a_running_video_job_is_reattached_after_a_reload(
    video_studio: Studio, veo: Emulated, open_page: OpenPage
) -> None:
    emulator = veo.emulator
    assert isinstance(emulator, VeoEmulator)
    headers = {"Authorization": f"Bearer {video_studio.key}"}
    api = video_studio.base_url + "/api/image-studio"
    httpx.post(f"{api}/create", json={"prompt": "Lighthouse at dusk", "provider": "local",
                                     "template_id": "instagram_story"},
               headers=headers, timeout=60).raise_for_status()
    page, _ = open_page()
    sign_in(page, video_studio.base_url, video_studio.key)
    page.get_by_role("link", name="Library").click()
    open_transform(page)
    form = page.locator("dialog.detail").get_by_role("form", name="Make a short video")
    form.get_by_label("Made by").select_option(VEO)
    form.get_by_label("Prompt").fill("the beam sweeps over the sea")
    expect(form.locator("[data-role=quote]")).to_contain_text("made by Google Veo")
    form.get_by_role("button", name="Make video").click()
    expect(form.get_by_role("status")).to_contain_text("Working…")
    until_polled(emulator, 1)  # submitted, its operation id stored, being polled

    page.reload()
    expect(page.get_by_label("Search your library")).to_be_visible()
    open_transform(page)
    form = page.locator("dialog.detail").get_by_role("form", name="Make a short video")
    status = form.get_by_role("status")
    # A fresh page: only the job's events, followed again, can say this.
    expect(status).to_have_text("Working… (Google Veo 3.1 · instagram_reel · 6 s)")
    expect(form.get_by_role("button", name="Cancel video")).to_be_visible()
    expect(form.get_by_role("button", name="Make video")).to_be_disabled()

    emulator.polls_before_done = 0  # the vendor finishes
    expect(status).to_contain_text("Video ready", timeout=60_000)
    expect(form.locator("video")).to_have_count(1)
    assert len(emulator.submissions()) == 1  # followed, never submitted again
    jobs = httpx.get(f"{api}/jobs", params={"kind": "video"}, headers=headers).json()["jobs"]
    assert [j["state"] for j in jobs] == ["succeeded"]
