"""Edits as jobs (``Prefer: respond-async``): 202 with the job, the edit run by the job
runner (held, run, recorded, settled as a synchronous edit), and the stored request
enough for a restarted server to run it again (source and mask included)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.edit.conftest import CREDIT, EditApi, png

from imagestudio.edit.schemas import EditCall, EditRequest, SourceImage
from imagestudio.studio.job_kinds import _edit_request, _load_edit

EDIT = "/api/image-studio/edit"
ASYNC = {"Prefer": "respond-async"}


async def until_done(api: EditApi, job_id: str) -> dict[str, Any]:
    for _ in range(500):
        response = await api.client.get(f"/api/image-studio/jobs/{job_id}",
                                        headers=api.headers)
        job: dict[str, Any] = response.json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} stayed {job['state']}")


async def test_a_local_edit_as_a_job(edit_api: EditApi) -> None:
    source = await edit_api.upload(png(120, 80))
    response = await edit_api.client.post(EDIT, headers={**edit_api.headers, **ASYNC},
                                          json={"asset_id": source, "op": "rotate",
                                                "degrees": 90})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/image-studio/jobs/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    assert job["kind"] == "image_edit"
    done = await until_done(edit_api, job["id"])
    assert done["state"] == "succeeded", done
    result = done["result"]
    assert (result["width"], result["height"]) == (80, 120)
    assert result["source_asset_id"] == source and result["engine"] == "local/rotate"
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 1  # type: ignore[index]


async def test_an_uploaded_vendor_edit_as_a_job_is_held_then_charged(
    edit_api: EditApi,
) -> None:
    response = await edit_api.client.post(
        EDIT, headers={**edit_api.headers, **ASYNC}, data={"op": "remove-background"},
        files={"image": ("s.png", png(256, 256), "image/png")})
    assert response.status_code == 202, response.text
    done = await until_done(edit_api, response.json()["id"])
    assert done["state"] == "succeeded", done
    assert done["quote"]["micros"] == done["cost"]["micros"] == 50_000
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - 50_000  # type: ignore[index]
    assert len(edit_api.stability.requests("POST")) == 1
    assert await edit_api.asset_count() == 2  # the upload and the cut-out


async def test_bad_input_is_refused_before_any_job(edit_api: EditApi) -> None:
    response = await edit_api.client.post(
        EDIT, headers={**edit_api.headers, **ASYNC}, data={"op": "inpaint", "prompt": "x"},
        files={"image": ("s.png", png(200, 100), "image/png"),
               "mask": ("m.png", png(100, 100, (255,), "L"), "image/png")})
    assert response.status_code == 422
    jobs = await edit_api.client.get("/api/image-studio/jobs", headers=edit_api.headers)
    assert jobs.json()["jobs"] == []


def test_the_stored_request_brings_back_the_source_and_mask() -> None:
    call = EditCall(
        request=EditRequest(op="inpaint", asset_id="a1", prompt="a hat"),
        source=SourceImage(asset_id="a1", sha256="f" * 64, width=200, height=100,
                           data=png(200, 100)),
        source_media_type="image/png", mask=png(200, 100, (255,), "L"))
    stored = _edit_request(call, None)  # type: ignore[arg-type]
    assert "data" not in stored["source"] and isinstance(stored["mask_b64"], str)
    again = _load_edit(stored)
    assert again.source.data == call.source.data and again.mask == call.mask
    assert again.request == call.request and again.source.sha256 == call.source.sha256
