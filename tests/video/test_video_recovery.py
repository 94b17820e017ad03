"""A clip whose asset row could not be written is captured, kept as a delivery and
recorded by the next sweep with its poster frame, duration and codec (the database
refuses the insert through a real trigger, on SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from tests.credits.conftest import Studio
from tests.studio.test_jobs import until
from tests.studio.test_workflow import _ddl, _drop, _refuse, _rows

from imagestudio.db.models import Asset, Delivery

pytest.importorskip("av")


async def test_the_sweep_records_a_clip_with_its_video_facts(studio: Studio) -> None:
    fay = await studio.user("fay", plan="free")
    db = studio.persistence.db
    await _ddl(db, _refuse(db, "assets", "NEW.media_type = 'video/mp4'"))
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((300, 200)).convert("RGB").save(buffer, "PNG")
    response = await studio.client.post(
        "/api/image-studio/transform", headers=fay,
        data={"preset": "push", "duration": "1", "target": "youtube_shorts", "fps": "24"},
        files={"image": ("s.png", buffer.getvalue(), "image/png")},
    )
    assert response.status_code == 202, response.text
    job = await until(studio, fay, response.json()["id"])
    assert job["state"] == "succeeded" and job["error"]["code"] == "recording_failed"
    job_id = job["id"]
    assert len(await _rows(db, Delivery, generation_id=job_id)) == 1
    await _ddl(db, _drop(db, "assets"))

    assert (await studio.persistence.sweeper.sweep()).assets_recovered == 1
    (asset,) = await _rows(db, Asset, generation_id=job_id)
    assert (asset.media_type, asset.duration_ms, asset.codec) == ("video/mp4", 1000, "h264")
    assert asset.poster_key is not None and asset.poster_key.endswith(".jpg")
    poster = await studio.client.get(f"/api/image-studio/assets/{asset.id}/poster", headers=fay)
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert (await studio.usage(fay))["quotas"]["video"]["used"] == 1
