"""A transformed clip plays to its end in Chromium (Debian's, through Playwright): the
MP4 the studio serves (signed URL, Range requests) is one a browser decodes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.web.harness import Studio, require_browser

require_browser()
pytest.importorskip("av")

from tests.web.conftest import OpenPage  # noqa: E402

pytestmark = pytest.mark.browser

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
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(buffer, "PNG")
    response = httpx.post(
        f"{studio.base_url}/api/image-studio/transform",
        data={"preset": "ken-burns", "duration": "1.5", "target": "youtube_shorts",
              "headline": "Plays in a browser", "fade_out": "0.5"},
        files={"image": ("still.png", buffer.getvalue(), "image/png")},
        headers={"Authorization": f"Bearer {studio.key}"}, timeout=120,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def test_the_clip_plays_to_the_end(studio: Studio, open_page: OpenPage) -> None:
    made = transform(studio)
    page, _watch = open_page()
    page.goto(studio.base_url + "/")
    played = page.evaluate(PLAY, made["url"])
    assert played["ended"] is True
    assert (played["width"], played["height"]) == (1080, 1920)
    assert played["duration"] == pytest.approx(1.5, abs=0.05)
