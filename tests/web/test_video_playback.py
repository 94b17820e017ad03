"""A transformed clip plays to its end in Chromium (Debian's, through Playwright): the
MP4 the studio serves (signed URL, Range requests) is one a browser decodes."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from tests.web.harness import Studio, require_browser, running_studio

require_browser()
pytest.importorskip("av")

from playwright.sync_api import expect  # noqa: E402
from tests.web.conftest import OpenPage  # noqa: E402
from tests.web.flows import assert_axe_clean, sign_in  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """A studio of its own, so these videos stay out of the other modules' libraries."""
    with running_studio(tmp_path_factory.mktemp("video-studio")) as running:
        yield running

PLAY = """async (src) => {
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  document.body.append(video);
  const ended = new Promise((resolve, reject) => {
    video.addEventListener("ended", () => resolve({
      ended: video.ended, duration: video.duration, width: video.videoWidth,
      height: video.videoHeight, currentTime: video.currentTime}));
    video.addEventListener("error", () => reject(new Error("media error " +
      (video.error && video.error.code))));
  });
  video.src = src;
  await video.play();
  return await ended;
}"""


def transform(studio: Studio) -> dict[str, Any]:
    """Make a clip through the public API (setup; the browser's playback is under test)."""


    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(buffer, "PNG")
    response = httpx.post(
        f"{studio.base_url}/api/image-studio/transform",
        data={"preset": "ken-burns", "duration": "1.5", "target": "youtube_shorts",
              "headline": "Plays in a browser", "fade_out": "0.5"},
        files={"image": ("still.png", buffer.getvalue(), "image/png")},
        headers={"Authorization": f"Bearer {studio.key}"}, timeout=120,
    )
    assert response.status_code == 202, response.text
    job = response.json()
    for _ in range(1200):
        job = httpx.get(f"{studio.base_url}/api/image-studio/jobs/{job['id']}",
                        headers={"Authorization": f"Bearer {studio.key}"}).json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    assert job["state"] == "succeeded", job
    result: dict[str, Any] = job["result"]
    return result


def test_the_clip_plays_to_the_end(studio: Studio, open_page: OpenPage) -> None:
    made = transform(studio)
    page, _watch = open_page()
    page.goto(studio.base_url + "/")
    played = page.evaluate(PLAY, made["url"])
    assert played["ended"] is True
    assert (played["width"], played["height"]) == (1080, 1920)
    assert played["duration"] == pytest.approx(1.5, abs=0.05)


def test_the_library_shows_the_clip_and_its_player_plays_it(
    studio: Studio, open_page: OpenPage
) -> None:
    transform(studio)
    page, _watch = open_page()
    sign_in(page, studio.base_url, studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("plays in a browser")
    card = page.locator(".asset-card", has_text="Plays in a browser").first
    expect(card.locator("video")).to_have_attribute("aria-label", "Video 1.5 s: Plays in a browser")
    card.get_by_role("button", name="Open details of Plays in a browser").click()
    detail = page.locator("dialog.detail")
    expect(detail.get_by_text("1.50 s (h264)")).to_be_visible()
    expect(detail.get_by_text("ken-burns (no AI model)")).to_be_visible()
    expect(detail.get_by_role("button", name="Generate again with these settings")).to_be_hidden()
    player = detail.locator("video.detail-video")
    expect(player).to_have_attribute("controls", "")
    assert_axe_clean(page, "asset detail of a video")
    ended = player.evaluate("""async (video) => {
      video.muted = true;
      const done = new Promise(
        (resolve) => video.addEventListener("ended", () => resolve(video.ended)));
      await video.play();
      return await done;
    }""")
    assert ended is True


def test_make_a_video_from_an_image_in_the_library(studio: Studio, open_page: OpenPage) -> None:
    made = httpx.post(
        f"{studio.base_url}/api/image-studio/create",
        json={"prompt": "Lighthouse at dusk", "template_id": "instagram_story"},
        headers={"Authorization": f"Bearer {studio.key}"}, timeout=60,
    )
    made.raise_for_status()
    page, watch = open_page()
    watch.expected_failures.add(422)  # the live quote of a refused duration
    sign_in(page, studio.base_url, studio.key)
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Search your library").fill("lighthouse")
    page.get_by_role("button", name="Open details of Lighthouse at dusk").first.click()
    detail = page.locator("dialog.detail")
    form = detail.get_by_role("form", name="Make a short video")
    expect(form).to_contain_text("free, no AI model")
    form.get_by_label("Motion").select_option("push")
    form.get_by_label("Video target").select_option("youtube_shorts")
    form.get_by_label("Seconds").fill("1")
    form.get_by_label("Headline (optional)").fill("See the light")
    quote = form.locator("[data-role=quote]")
    expect(quote).to_have_text(
        "Free for 1 s · motion preset rendered from your image; no AI model was used")
    made_by = form.get_by_label("Made by")  # vendor models listed, off without their keys
    expect(made_by.locator("option[value='gemini/veo-3.1-generate-preview']")).to_be_disabled()
    expect(form.get_by_label("Prompt")).to_be_hidden()
    assert_axe_clean(page, "transform panel")
    form.get_by_label("Seconds").fill("0.2")  # under youtube_shorts' minimum: refused
    expect(quote).to_contain_text("duration: ")
    expect(form.get_by_role("button", name="Make video")).to_be_disabled()
    assert watch.failed_loads == [422]
    assert_axe_clean(page, "transform panel, duration refused")
    form.get_by_label("Seconds").fill("1")
    expect(quote).to_contain_text("Free for 1 s")
    form.get_by_role("button", name="Make video").click()
    expect(form.get_by_label("Video progress")).to_be_visible()
    expect(form.get_by_role("status")).to_contain_text(
        "Video ready: 1 s, 1080×1920", timeout=120_000)
    assert_axe_clean(page, "transform panel, video ready")
    ended = form.locator("video").evaluate("""async (video) => {
      video.muted = true;
      const done = new Promise(
        (resolve) => video.addEventListener("ended", () => resolve(video.ended)));
      await video.play();
      return await done;
    }""")
    assert ended is True
    videos = httpx.get(f"{studio.base_url}/api/image-studio/assets",
                       params={"media": "video", "q": "see the light"},
                       headers={"Authorization": f"Bearer {studio.key}"}).json()
    assert len(videos["items"]) == 1 and videos["items"][0]["duration_ms"] == 1000
