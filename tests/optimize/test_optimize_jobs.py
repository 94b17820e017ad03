"""Upscales and optimizations as jobs (``Prefer: respond-async``), on SQLite and
PostgreSQL: 202 with the job after the synchronous call's checks (nothing held on a
refusal), run by the job runner, held then charged as the synchronous call is, followed
as Server-Sent Events, cancelled, keyed; and the stored request, enough for a restarted
server (or a queue worker: :meth:`JobRunner.run_stored`) to run it again."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from tests.edit.conftest import CREDIT, EditApi, edit_api, png
from tests.edit.test_edit_jobs import until_done

from imagestudio.accounts.auth import Principal
from imagestudio.container import build_jobs
from imagestudio.optimize.schemas import OptimizeCall, OptimizeRequest, SourceImage
from imagestudio.optimize.upscale import UpscaleCall, UpscaleRequest, load_modes
from imagestudio.studio.job_kinds import optimize_job, upscale_job
from imagestudio.studio.upscale import UpscalePlanner

__all__ = ["edit_api"]
UPSCALE = "/api/image-studio/upscale"
OPTIMIZE = "/api/image-studio/optimize"
ASYNC = {"Prefer": "respond-async"}
MODES = load_modes()
FAST = MODES["stability/fast"].price_micros
CREATIVE = MODES["stability/creative"].price_micros
TWO = ["instagram_story", "email_banner"]


@pytest.fixture
async def jobs_api(edit_api: EditApi) -> EditApi:
    """``edit_api`` as ``erin``, on the Enterprise plan (a creative upscale makes ~10 MP,
    over the Pro plan's image size) with 1 USD of credit."""
    persistence = edit_api.app.state.api.persistence
    erin = await persistence.accounts.create_user("erin", plan="enterprise")
    await persistence.credits.admin.grant("erin", CREDIT, note="test")
    return replace(edit_api, headers={"Authorization": f"Bearer {erin.key}"})


async def _post(api: EditApi, path: str, body: dict[str, Any],
                headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await api.client.post(path, headers={**api.headers, **ASYNC, **(headers or {})},
                                     json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/image-studio/jobs/{response.json()['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    job: dict[str, Any] = response.json()
    return job


async def _events(api: EditApi, job_id: str) -> list[str]:
    response = await api.client.get(f"/api/image-studio/jobs/{job_id}/events",
                                    headers=api.headers)
    return [line.removeprefix("event: ") for line in response.text.splitlines()
            if line.startswith("event: ")]


async def _carol(api: EditApi) -> Principal:
    principal: Principal = await api.app.state.api.auth.authenticate(
        api.headers["Authorization"])
    return principal


def _fast_polls(api: EditApi) -> None:
    """Poll the creative upscale every 10 ms, not every 10 s (§1.6's pace)."""
    planner = api.services.upscaling.planner
    assert isinstance(planner, UpscalePlanner)
    planner.upscaler._stability._poll_interval_s = 0.01  # type: ignore[union-attr]


async def test_a_local_upscale_as_a_job(jobs_api: EditApi) -> None:
    source = await jobs_api.upload(png(120, 80))
    job = await _post(jobs_api, UPSCALE, {"asset_id": source, "mode": "local", "scale": 2})
    assert job["kind"] == "upscale" and job["quote"]["micros"] == 0
    done = await until_done(jobs_api, job["id"])
    assert done["state"] == "succeeded", done
    result = done["result"]
    assert (result["width"], result["height"]) == (240, 160) and result["ai"] is False
    image = await jobs_api.client.get(result["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    asset = (await jobs_api.client.get(f"/api/image-studio/assets/{result['asset_id']}",
                                       headers=jobs_api.headers)).json()
    assert asset["parent_id"] == source and asset["operation"] == "upscale"
    usage = await jobs_api.usage()
    assert usage["quotas"]["upscale"]["used"] == 1  # type: ignore[index]


async def test_a_creative_upscale_job_polls_the_vendor_and_is_charged_once(
    jobs_api: EditApi,
) -> None:
    _fast_polls(jobs_api)
    jobs_api.stability.creative_polls = 3
    source = await jobs_api.upload(png(128, 96))
    job = await _post(jobs_api, UPSCALE, {"asset_id": source, "mode": "stability/creative",
                                          "format": "jpeg"})
    assert job["quote"]["micros"] == CREATIVE
    done = await until_done(jobs_api, job["id"])
    assert done["state"] == "succeeded", done
    assert done["cost"]["micros"] == CREATIVE and done["result"]["ai"] is True
    assert len(jobs_api.stability.requests("POST")) == 1  # submitted once
    assert len(jobs_api.stability.requests("GET")) == 4  # three 202s, then the image
    assert await _events(jobs_api, job["id"]) == ["queued", "unit_started", "unit_done",
                                                  "succeeded"]
    usage = await jobs_api.usage()
    assert usage["balance"]["micros"] == CREDIT - CREATIVE  # type: ignore[index]
    assert usage["held"]["micros"] == 0  # type: ignore[index]


async def test_a_failed_vendor_upscale_job_costs_nothing(jobs_api: EditApi) -> None:
    source = await jobs_api.upload(png(256, 192))
    jobs_api.stability.fail_next(500)
    job = await _post(jobs_api, UPSCALE, {"asset_id": source, "mode": "stability/fast"})
    done = await until_done(jobs_api, job["id"])
    assert done["state"] == "failed" and done["error"]["message"].startswith(
        "the upscale failed"), done
    assert await _events(jobs_api, job["id"]) == ["queued", "unit_started", "unit_failed",
                                                  "failed"]
    usage = await jobs_api.usage()
    assert usage["balance"]["micros"] == CREDIT and usage["held"]["micros"] == 0  # type: ignore[index]
    assert usage["quotas"]["upscale"]["used"] == 0  # type: ignore[index]


async def test_an_optimization_as_a_job_has_a_unit_per_rendition(jobs_api: EditApi) -> None:
    source = await jobs_api.upload(png(1600, 1200))
    job = await _post(jobs_api, OPTIMIZE, {"asset_id": source, "templates": TWO,
                                           "focal": {"x": 0.25, "y": 0.5}})
    assert job["kind"] == "optimize" and job["progress"]["total"] == 2
    done = await until_done(jobs_api, job["id"])
    assert done["state"] == "succeeded", done
    assert done["progress"]["succeeded"] == 2
    result = done["result"]
    assert result["set_id"] == job["id"]
    assert [r["template_id"] for r in result["renditions"]] == TWO
    for rendition in result["renditions"]:
        assert (await jobs_api.client.get(rendition["url"])).status_code == 200
    asset = (await jobs_api.client.get(f"/api/image-studio/assets/{source}",
                                       headers=jobs_api.headers)).json()
    assert asset["focal_point"] == [0.25, 0.5]  # remembered
    zipped = await jobs_api.client.get(f"{OPTIMIZE}/{job['id']}/zip", headers=jobs_api.headers)
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"
    usage = await jobs_api.usage()
    assert usage["quotas"]["optimize"]["used"] == 1  # type: ignore[index]
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]


async def test_an_optimization_upscaled_first_is_one_charge(jobs_api: EditApi) -> None:
    source = await jobs_api.upload(png(512, 384))
    job = await _post(jobs_api, OPTIMIZE, {"asset_id": source,
                                           "templates": ["instagram_feed_square"],
                                           "upscale": "stability/fast"})
    assert job["quote"]["micros"] == FAST
    done = await until_done(jobs_api, job["id"])
    assert done["state"] == "succeeded", done
    assert done["cost"]["micros"] == FAST
    assert done["result"]["upscaled"]["mode"] == "stability/fast"
    assert len(jobs_api.stability.requests("POST")) == 1
    usage = await jobs_api.usage()
    assert usage["balance"]["micros"] == CREDIT - FAST  # type: ignore[index]


async def test_what_the_call_refuses_is_refused_before_any_job(jobs_api: EditApi) -> None:
    big = await jobs_api.upload(png(1100, 1000))
    refusals = [
        (UPSCALE, {"asset_id": big, "mode": "stability/fast"}, 422, "asset_id"),
        (UPSCALE, {"asset_id": "nope", "mode": "local", "scale": 2}, 404, "asset_id"),
        (OPTIMIZE, {"asset_id": big, "templates": ["nope"]}, 422, "templates"),
    ]
    for path, body, status, field in refusals:
        response = await jobs_api.client.post(path, headers={**jobs_api.headers, **ASYNC},
                                              json=body)
        assert response.status_code == status, response.text
        assert response.json()["error"]["details"]["field"] == field
    jobs = await jobs_api.client.get("/api/image-studio/jobs", headers=jobs_api.headers)
    assert jobs.json()["jobs"] == []
    usage = await jobs_api.usage()
    assert usage["held"]["micros"] == 0  # type: ignore[index]
    assert jobs_api.stability.requests("POST") == []


async def test_an_idempotency_key_returns_its_job(jobs_api: EditApi) -> None:
    source = await jobs_api.upload(png(120, 80))
    body = {"asset_id": source, "mode": "local", "scale": 2}
    key = {"Idempotency-Key": "up-1"}
    first = await _post(jobs_api, UPSCALE, body, key)
    again = await _post(jobs_api, UPSCALE, body, key)
    assert again["id"] == first["id"]
    other = await jobs_api.client.post(
        UPSCALE, headers={**jobs_api.headers, **ASYNC, **key},
        json={**body, "scale": 4})
    assert other.status_code == 409, other.text
    await until_done(jobs_api, first["id"])
    jobs = await jobs_api.client.get("/api/image-studio/jobs", headers=jobs_api.headers)
    assert len(jobs.json()["jobs"]) == 1


async def test_a_queued_job_cancelled_is_released(jobs_api: EditApi) -> None:
    persistence = jobs_api.app.state.api.persistence
    carol = await _carol(jobs_api)
    source = await jobs_api.upload(png(256, 192))
    call = UpscaleCall(request=UpscaleRequest(asset_id=source, mode="stability/fast"),
                       source=SourceImage(asset_id=source, sha256="0" * 64, width=256,
                                          height=192, data=png(256, 192)),
                       source_media_type="image/png")
    idle = build_jobs(jobs_api.services, persistence)  # no workers: the job stays queued
    row, _ = await idle.submit("upscale", carol, call)
    assert (await jobs_api.usage())["held"]["micros"] == FAST  # type: ignore[index]
    ended = await idle.cancel(carol.user_id, row.id)
    assert ended.state == "cancelled"
    usage = await jobs_api.usage()
    assert usage["held"]["micros"] == 0 and usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert jobs_api.stability.requests("POST") == []


async def test_a_stored_job_runs_again_after_a_restart(jobs_api: EditApi) -> None:
    """The process that accepted the job stops before running it; a queue worker (or a
    restarted server) restores the request from its row alone and runs it."""
    _fast_polls(jobs_api)
    jobs_api.stability.creative_polls = 1
    persistence = jobs_api.app.state.api.persistence
    carol = await _carol(jobs_api)
    up_source = await jobs_api.upload(png(128, 96))
    opt_source = await jobs_api.upload(png(1600, 1200))
    upscale_call = await _prepared_upscale(jobs_api, up_source)
    optimize_call = await _prepared_optimize(jobs_api, opt_source)
    stopped = build_jobs(jobs_api.services, persistence)
    up_row, _ = await stopped.submit("upscale", carol, upscale_call)
    opt_row, _ = await stopped.submit("optimize", carol, optimize_call)

    worker = build_jobs(jobs_api.services, persistence)
    await asyncio.gather(worker.run_stored(up_row.id), worker.run_stored(opt_row.id))
    upscaled = await worker.get(carol.user_id, up_row.id)
    optimized = await worker.get(carol.user_id, opt_row.id)
    assert upscaled.state == "succeeded" and upscaled.cost_micros == CREATIVE
    assert optimized.state == "succeeded" and optimized.num_succeeded == 2
    assert len(jobs_api.stability.requests("POST")) == 1
    usage = await jobs_api.usage()
    assert usage["balance"]["micros"] == CREDIT - CREATIVE  # type: ignore[index]
    assert usage["held"]["micros"] == 0  # type: ignore[index]


async def test_a_vendor_upscale_sent_before_a_restart_is_never_sent_again(
    jobs_api: EditApi,
) -> None:
    """Its send was journalled (no answer, no vendor id): its outcome is unknown, so the
    resumed job fails it uncharged instead of paying twice."""
    from sqlalchemy import update

    from imagestudio.db.job_models import JobUnit

    persistence = jobs_api.app.state.api.persistence
    carol = await _carol(jobs_api)
    source = await jobs_api.upload(png(256, 192))
    stopped = build_jobs(jobs_api.services, persistence)
    row, _ = await stopped.submit("upscale", carol, await _prepared_upscale(
        jobs_api, source, mode="stability/fast"))
    async with persistence.db.engine.begin() as conn:
        await conn.execute(update(JobUnit).where(JobUnit.job_id == row.id)
                           .values(sent_to="stability"))
    await build_jobs(jobs_api.services, persistence).run_stored(row.id)
    ended = await stopped.get(carol.user_id, row.id)
    assert ended.state == "failed" and ended.cost_micros == 0
    assert jobs_api.stability.requests("POST") == []
    usage = await jobs_api.usage()
    assert usage["balance"]["micros"] == CREDIT and usage["held"]["micros"] == 0  # type: ignore[index]


async def _prepared_upscale(api: EditApi, source: str,
                            mode: str = "stability/creative") -> UpscaleCall:
    from imagestudio.studio.upscale import prepare_upscale

    persistence = api.app.state.api.persistence
    carol = await _carol(api)
    request = UpscaleRequest.model_validate({"asset_id": source, "mode": mode})
    return await prepare_upscale(persistence.library, persistence.store, carol.user_id,
                                 request)


async def _prepared_optimize(api: EditApi, source: str) -> OptimizeCall:
    from imagestudio.studio.optimize import prepare

    persistence = api.app.state.api.persistence
    carol = await _carol(api)
    request = OptimizeRequest(asset_id=source, templates=TWO)
    return await prepare(persistence.library, persistence.store, carol.user_id, request)


def test_the_stored_requests_bring_back_their_sources() -> None:
    data = png(300, 200)
    source = SourceImage(asset_id="a1", sha256="f" * 64, width=300, height=200, data=data)
    upscale = UpscaleCall(request=UpscaleRequest(asset_id="a1", mode="stability/creative"),
                          source=source, source_media_type="image/png")
    optimize = OptimizeCall(request=OptimizeRequest(asset_id="a1", templates=TWO),
                            source=source, focal=None, source_media_type="image/png")
    for call, kind in ((upscale, upscale_job), (optimize, optimize_job)):
        job = kind(None)  # type: ignore[arg-type]
        stored = job.stored(call, None)
        assert "data" not in stored["source"] and isinstance(stored["source"]["data_b64"], str)
        again = job.restore(stored)
        assert again == call and again.source.data == data  # type: ignore[attr-defined]


async def test_openapi_documents_the_202(jobs_api: EditApi) -> None:
    paths = jobs_api.app.openapi()["paths"]
    for path in (UPSCALE, OPTIMIZE, "/api/image-studio/edit"):
        accepted = paths[path]["post"]["responses"]["202"]
        schema = accepted["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/JobPublic"}, path
        assert "Location" in accepted["headers"], path
        prefer = [p for p in paths[path]["post"]["parameters"] if p["name"] == "Prefer"]
        assert prefer and prefer[0]["in"] == "header", path
