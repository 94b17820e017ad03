"""Transform jobs across a restart: the still travels in the job row, so a job a stopped
server left queued is re-planned and rendered by the next one (SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from tests.credits.conftest import Studio
from tests.studio.test_jobs_recovery import _until_ended

from imagestudio.container import build_jobs
from imagestudio.video.probe import probe
from imagestudio.video.schemas import TransformRequest

pytest.importorskip("av")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((320, 240)).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_queued_transform_is_rendered_by_the_restarted_server(studio: Studio) -> None:
    ann = await studio.user("ann", plan="free")
    principal = await studio.app.state.api.auth.authenticate(ann["Authorization"])
    persistence = studio.persistence
    dead = build_jobs(studio.services, persistence)  # accepted the job, then died
    request = TransformRequest(image=_png(), preset="zoom-out", duration=1, fps=24,
                               target="youtube_shorts", headline="After the restart")
    row, created = await dead.submit("video", principal, request)
    assert created and row.state == "queued" and row.kind == "video"
    assert "image_b64" in row.request and "image" not in row.request

    restarted = build_jobs(studio.services, persistence)
    async with restarted.running():  # the app's runner holds the jobs lock: recover by hand
        assert await restarted.recover() == 1
        ended = await _until_ended(restarted, principal.user_id, row.id)

    assert ended.state == "succeeded" and ended.cost_micros == 0
    assert ended.result is not None
    asset = ended.result["assets"][0]
    assert ended.result["result"]["video"]["frame_count"] == 24
    clip = await studio.client.get(f"/api/image-studio/assets/{asset['id']}/content",
                                   headers=ann)
    facts = probe(clip.content)
    assert (facts.width, facts.height, facts.frame_count) == (1080, 1920, 24)
    usage = await studio.usage(ann)
    assert usage["quotas"]["video"]["used"] == 1 and usage["held"]["micros"] == 0
