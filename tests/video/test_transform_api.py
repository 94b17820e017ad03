"""POST /api/image-studio/transform through the real app (SQLite and PostgreSQL): it is
always a job (202, Location, progress events, cancel); the clip lands in the library as a
video asset with its facts and poster, downloads honour Range, the library filters by
media type, the video quota counts, and bad input is refused before anything is held."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import pytest
from PIL import Image
from tests.credits.conftest import Studio
from tests.studio.test_jobs import sse, until

from imagestudio.assets.blobs import BlobCollector
from imagestudio.video.probe import probe

pytest.importorskip("av")
TRANSFORM = "/api/image-studio/transform"


def _png(size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def _transform(studio: Studio, headers: dict[str, str], *, image: bytes | None = None,
                     **form: Any) -> Any:
    fields = {"preset": "pan-right", "duration": "1", "target": "youtube_shorts",
              "fps": "24", **{k: str(v) for k, v in form.items()}}
    files = {"image": ("still.png", image if image is not None else _png(), "image/png")}
    if "asset_id" in form:
        files = {}
    return await studio.client.post(TRANSFORM, data=fields, files=files or None,
                                    headers=headers)


async def _made(studio: Studio, headers: dict[str, str], **form: Any) -> dict[str, Any]:
    """Submit a transform (202, Location) and wait for its job to end; the ended job."""
    response = await _transform(studio, headers, **form)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/image-studio/jobs/{job['id']}"
    assert job["kind"] == "video" and job["progress"]["total"] == 1
    ended: dict[str, Any] = await until(studio, headers, job["id"])
    return ended


async def test_a_clip_becomes_a_video_asset(studio: Studio) -> None:
    ann = await studio.user("ann", plan="free")
    job = await _made(studio, ann, headline="Summer sale", fade_in="0.25")
    assert job["state"] == "succeeded" and job["cost"]["micros"] == 0, job
    body = job["result"]
    assert body["generation_id"] == job["id"]
    assert body["success"] and body["ai_generated"] is False and body["cost_micros"] == 0
    assert body["label"] == "motion preset rendered from your image; no AI model was used"
    assert body["video"] == {"width": 1080, "height": 1920, "fps": 24, "frame_count": 24,
                             "duration_s": 1.0, "codec": "h264", "has_audio": False,
                             "size_bytes": body["video"]["size_bytes"]}
    asset = (await studio.client.get(f"/api/image-studio/assets/{body['asset_id']}",
                                     headers=ann)).json()
    assert asset["media_type"] == "video/mp4" and asset["duration_ms"] == 1000
    assert (asset["codec"], asset["width"], asset["height"]) == ("h264", 1080, 1920)
    assert asset["has_poster"] and asset["provider"] == "local"
    assert asset["model"] == "local/motion-presets" and asset["prompt"] == "Summer sale"

    content = f"/api/image-studio/assets/{body['asset_id']}/content"
    whole = await studio.client.get(content, headers=ann)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert probe(whole.content).frame_count == 24
    part = await studio.client.get(content, headers={**ann, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    signed = await studio.client.get(body["url"], headers={"Range": "bytes=0-7"})
    assert signed.status_code == 206 and signed.content == whole.content[:8]

    poster = await studio.client.get(f"/api/image-studio/assets/{body['asset_id']}/poster",
                                     headers=ann)
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(poster.content)).size == (1080, 1920)

    exported = await studio.client.post("/api/image-studio/assets/export", headers=ann,
                                        json={"asset_ids": [body["asset_id"]]})
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        [name] = archive.namelist()
        assert name.endswith(".mp4") and archive.read(name) == whole.content

    usage = await studio.usage(ann)
    assert usage["quotas"]["video"] == {"limit": 2, "used": 1, "remaining": 1}


async def test_the_library_filters_by_media_type(studio: Studio) -> None:
    bob = await studio.user("bob")
    uploaded = await studio.client.post("/api/image-studio/assets", headers=bob,
                                        files={"file": ("a.png", _png(), "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    made = await _made(studio, bob, asset_id=uploaded.json()["id"])
    assert made["state"] == "succeeded", made
    assets = "/api/image-studio/assets"
    videos = (await studio.client.get(assets, params={"media": "video"}, headers=bob)).json()
    images = (await studio.client.get(assets, params={"media": "image"}, headers=bob)).json()
    assert [a["id"] for a in videos["items"]] == [made["result"]["asset_id"]]
    assert [a["id"] for a in images["items"]] == [uploaded.json()["id"]]
    bad = await studio.client.get(assets, params={"media": "audio"}, headers=bob)
    assert bad.status_code == 422


@pytest.mark.parametrize(("form", "image", "field", "message"), [
    ({"target": "instagram_reel", "duration": "2"}, None, "duration",
     "duration: 2 s is under instagram_reel's minimum of 3 s"),
    ({"target": "myspace"}, None, "target", "target: unknown video target 'myspace'"),
    ({"duration": "61"}, None, "duration", "duration: Input should be less than or equal to 60"),
    ({}, b"not an image", "image", "image: not a readable image file"),
    ({"fps": "120"}, None, "fps", "fps: 120 is outside youtube_shorts's 24-60"),
])
async def test_bad_input_is_refused_before_anything_is_held(
    studio: Studio, form: dict[str, str], image: bytes | None, field: str, message: str
) -> None:
    cy = await studio.user("cy", plan="free")
    response = await _transform(studio, cy, image=image, **form)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == field and error["message"].startswith(message)
    assert (await studio.usage(cy))["quotas"]["video"]["used"] == 0
    assert (await studio.client.get("/api/image-studio/jobs", headers=cy)).json()["jobs"] == []


async def test_the_video_quota_is_enforced(studio: Studio) -> None:
    dee = await studio.user("dee", plan="free")
    for _ in range(2):
        assert (await _made(studio, dee))["state"] == "succeeded"
    refused = await _transform(studio, dee)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert "video" in refused.json()["error"]["message"]


async def test_a_keyed_retry_replays_the_first_clip(studio: Studio) -> None:
    eve = await studio.user("eve", plan="free")
    keyed = {**eve, "Idempotency-Key": "clip-1"}
    first = await _made(studio, keyed)
    again = await _transform(studio, keyed)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == first["id"] and again.json()["state"] == "succeeded"
    assert again.json()["result"]["asset_id"] == first["result"]["asset_id"]
    assert (await studio.usage(eve))["quotas"]["video"]["used"] == 1
    other = await _transform(studio, keyed, image=_png((300, 300)))  # another still
    assert other.status_code == 409


async def test_the_collector_removes_a_deleted_clips_file_and_poster(studio: Studio) -> None:
    gus = await studio.user("gus")
    made = (await _made(studio, gus))["result"]
    root = studio.persistence.store.root
    files = {p.suffix for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert {".mp4", ".jpg"} <= files
    deleted = await studio.client.delete(f"/api/image-studio/assets/{made['asset_id']}",
                                         headers=gus)
    assert deleted.status_code == 204
    kept = {p.suffix for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert {".mp4", ".jpg"} <= kept  # no request deletes a file: the collector does
    collector = BlobCollector(studio.persistence.blobs, grace_s=3600)
    assert (await collector.collect()).removed == 0  # within the grace period
    studio.clock.advance(seconds=3601)
    assert (await collector.collect()).removed == 2
    left = {p.suffix for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert ".mp4" not in left and ".jpg" not in left


async def test_progress_events_come_per_frame_batch(studio: Studio) -> None:
    hal = await studio.user("hal")
    job = await _made(studio, hal, duration="2", fps="30")  # 60 frames: a batch per 10
    events = await sse(studio, hal, job["id"])
    kinds = [e["event"] for e in events]
    assert kinds[0] == "queued" and kinds[-2:] == ["unit_done", "succeeded"]
    progress = [e["data"]["progress"] for e in events if e["event"] == "unit_started"]
    assert progress == [0.0] + [round(n / 60, 4) for n in range(10, 61, 10)]
    assert events[-2]["data"]["progress"] == 1.0


async def test_cancel_a_queued_and_a_running_transform(studio_factory: Any) -> None:
    studio: Studio = await studio_factory(job_concurrency=1)
    ivy = await studio.user("ivy", plan="free")
    long = await _transform(studio, ivy, duration="30", fps="60")  # 1800 frames
    queued = await _transform(studio, ivy)
    assert long.status_code == queued.status_code == 202
    long_id, queued_id = long.json()["id"], queued.json()["id"]
    cancelled = await studio.client.post(f"/api/image-studio/jobs/{queued_id}/cancel",
                                         headers=ivy)
    assert cancelled.json()["state"] == "cancelled"
    assert [e["event"] for e in await sse(studio, ivy, queued_id)] == ["queued", "cancelled"]

    for _ in range(500):  # until frames are being rendered
        job = (await studio.client.get(f"/api/image-studio/jobs/{long_id}",
                                       headers=ivy)).json()
        if job["progress"]["units"][0]["state"] == "running":
            break
        await asyncio.sleep(0.02)
    cancel = await studio.client.post(f"/api/image-studio/jobs/{long_id}/cancel", headers=ivy)
    assert cancel.json()["cancel_requested"] is True
    ended = await until(studio, ivy, long_id)
    assert ended["state"] == "cancelled" and ended["cost"]["micros"] == 0
    assert ended["progress"]["units"][0]["state"] == "failed"
    assert ended["result"]["video"] is None and ended["result"]["success"] is False
    events = await sse(studio, ivy, long_id)
    started = [e for e in events if e["event"] == "unit_started"]
    assert started[-1]["data"].get("progress", 0) < 1.0  # stopped before the last frame
    usage = await studio.usage(ivy)
    assert usage["quotas"]["video"]["used"] == 0 and usage["held"]["micros"] == 0
    books = await studio.books()
    books.assert_balanced()
    assert books.open_holds == 0
