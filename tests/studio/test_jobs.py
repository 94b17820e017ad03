"""Asynchronous jobs through the API: 202 and Location, state and progress, the event
stream (resumable), cancel, idempotent submits, listing; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.credits.conftest import FLUX, FLUX_MICROS, Studio, StudioFactory

ASYNC = {"Prefer": "respond-async"}


async def submit(studio: Studio, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"prompt": "a red bicycle", **FLUX, **body}
    response = await studio.client.post("/api/image-studio/create", json=payload,
                                        headers={**headers, **ASYNC})
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/image-studio/jobs/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    return job


async def get(studio: Studio, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    response = await studio.client.get(f"/api/image-studio/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def until(studio: Studio, headers: dict[str, str], job_id: str,
                *states: str) -> dict[str, Any]:
    wanted = states or ("succeeded", "failed", "cancelled")
    for _ in range(500):
        job = await get(studio, headers, job_id)
        if job["state"] in wanted:
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} stayed {job['state']}")


def parse_sse(text: str) -> list[dict[str, Any]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append({"id": int(fields["id"]), "event": fields["event"],
                           "data": json.loads(fields["data"])})
    return events


async def sse(studio: Studio, headers: dict[str, str], job_id: str,
              last: int | None = None) -> list[dict[str, Any]]:
    extra = {"Last-Event-ID": str(last)} if last is not None else {}
    response = await studio.client.get(f"/api/image-studio/jobs/{job_id}/events",
                                       headers={**headers, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


async def test_an_async_create_runs_as_a_job_and_streams_its_events(studio: Studio) -> None:
    ann = await studio.user("ann", credit=10 * FLUX_MICROS)
    job = await submit(studio, ann, num_variations=2)
    assert job["state"] in ("queued", "running") and job["quote"]["micros"] == 2 * FLUX_MICROS
    assert job["progress"]["total"] == 2

    done = await until(studio, ann, job["id"])

    assert done["state"] == "succeeded" and done["error"] is None
    assert done["cost"]["micros"] == 2 * FLUX_MICROS
    assert [u["state"] for u in done["progress"]["units"]] == ["succeeded", "succeeded"]
    assert done["started_at"] and done["finished_at"]
    variations = done["result"]["variations"]
    # studio.test is not an allowed host: signed URLs are relative (never the Host reflected)
    assert all(v["url"].startswith("/api/image-studio/files/") and v["asset_id"]
               for v in variations)
    image = await studio.client.get(variations[0]["url"])
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    events = await sse(studio, ann, job["id"])
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "queued" and kinds[-1] == "succeeded"
    assert sorted(kinds[1:-1]) == ["unit_done", "unit_done", "unit_started", "unit_started"]
    assert (await sse(studio, ann, job["id"], last=3)) == events[3:]  # resumed after id 3
    usage = await studio.usage(ann)
    assert usage["balance"]["micros"] == 8 * FLUX_MICROS and usage["held"]["micros"] == 0
    (await studio.books()).assert_balanced()


async def test_jobs_are_the_owners_alone(studio: Studio) -> None:
    ann = await studio.user("ann", credit=10 * FLUX_MICROS)
    bob = await studio.user("bob", credit=10 * FLUX_MICROS)
    job = await submit(studio, ann)
    for path in ("", "/events"):
        response = await studio.client.get(f"/api/image-studio/jobs/{job['id']}{path}",
                                           headers=bob)
        assert response.status_code == 404
    response = await studio.client.post(f"/api/image-studio/jobs/{job['id']}/cancel",
                                        headers=bob)
    assert response.status_code == 404
    await until(studio, ann, job["id"])


async def test_a_refused_submit_is_a_plain_error_and_holds_nothing(studio: Studio) -> None:
    poor = await studio.user("poor", credit=FLUX_MICROS)
    response = await studio.client.post(
        "/api/image-studio/create", json={"prompt": "x", **FLUX, "num_variations": 2},
        headers={**poor, **ASYNC},
    )
    assert response.status_code == 402, response.text
    listed = (await studio.client.get("/api/image-studio/jobs", headers=poor)).json()
    assert listed["jobs"] == []
    assert (await studio.books()).open_holds == 0


async def test_cancel_releases_unstarted_units_and_charges_running_ones(
    studio_factory: StudioFactory,
) -> None:
    studio: Studio = await studio_factory(job_concurrency=1, max_concurrent_variations=1)
    studio.hf.delay_s = 4.0  # long enough to cancel while unit 0 runs, even on a busy machine
    cy = await studio.user("cy", credit=10 * FLUX_MICROS)
    first = await submit(studio, cy, num_variations=3)
    second = await submit(studio, cy, num_variations=2)
    running = await until(studio, cy, first["id"], "running")
    assert running["state"] == "running"
    while not any(u["state"] == "running" for u in (await get(studio, cy, first["id"]))
                  ["progress"]["units"]):
        await asyncio.sleep(0.02)

    queued = await studio.client.post(f"/api/image-studio/jobs/{second['id']}/cancel",
                                      headers=cy)
    assert queued.status_code == 200 and queued.json()["state"] == "cancelled"
    assert (await studio.usage(cy))["held"]["micros"] == 3 * FLUX_MICROS  # released at once
    cancel = await studio.client.post(f"/api/image-studio/jobs/{first['id']}/cancel",
                                      headers=cy)
    assert cancel.json()["cancel_requested"] is True
    ended = await until(studio, cy, first["id"])

    assert ended["state"] == "cancelled"
    units = ended["progress"]["units"]
    assert units[0]["state"] == "succeeded" and ended["cost"]["micros"] == FLUX_MICROS
    assert [u["state"] for u in units[1:]] == ["failed", "failed"]
    assert len(studio.hf.calls) == 1  # the cancelled units never reached the vendor
    events = await sse(studio, cy, second["id"])
    assert [e["event"] for e in events] == ["queued", "cancelled"]
    usage = await studio.usage(cy)
    assert usage["balance"]["micros"] == 9 * FLUX_MICROS and usage["held"]["micros"] == 0
    books = await studio.books()
    books.assert_balanced()
    assert books.open_holds == 0


async def test_a_key_reused_returns_the_same_job_and_holds_once(studio: Studio) -> None:
    dee = await studio.user("dee", credit=10 * FLUX_MICROS)
    headers = {**dee, "Idempotency-Key": "batch-7"}
    first, again = await asyncio.gather(submit(studio, headers), submit(studio, headers))
    assert first["id"] == again["id"]
    await until(studio, dee, first["id"])
    assert (await studio.usage(dee))["balance"]["micros"] == 9 * FLUX_MICROS
    other = await studio.client.post(
        "/api/image-studio/create", json={"prompt": "another", **FLUX},
        headers={**headers, **ASYNC},
    )
    assert other.status_code == 409 and "Idempotency-Key" in other.text


async def test_listing_filters_and_pages(studio: Studio) -> None:
    eve = await studio.user("eve", credit=20 * FLUX_MICROS)
    ids = [(await submit(studio, eve))["id"] for _ in range(3)]
    for job_id in ids:
        await until(studio, eve, job_id)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, "state": "succeeded"}
        if cursor:
            params["cursor"] = cursor
        page = (await studio.client.get("/api/image-studio/jobs", params=params,
                                        headers=eve)).json()
        seen += [j["id"] for j in page["jobs"]]
        assert all(j["progress"]["units"] is None for j in page["jobs"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 3
    none = await studio.client.get("/api/image-studio/jobs", params={"state": "failed"},
                                   headers=eve)
    assert none.json()["jobs"] == []
    bad = await studio.client.get("/api/image-studio/jobs", params={"cursor": "zz"},
                                  headers=eve)
    assert bad.status_code == 422 and "cursor" in bad.text


async def test_a_job_whose_every_unit_fails_ends_failed_and_costs_nothing(
    studio: Studio,
) -> None:
    from imagestudio.providers.errors import ProviderBadRequest

    fay = await studio.user("fay", credit=10 * FLUX_MICROS)
    studio.hf.script(ProviderBadRequest("no", provider="huggingface"))
    job = await submit(studio, fay)
    ended = await until(studio, fay, job["id"])
    assert ended["state"] == "failed" and ended["error"]["code"] == "generation_failed"
    assert ended["cost"]["micros"] == 0
    assert [e["event"] for e in await sse(studio, fay, job["id"])][-2:] == [
        "unit_failed", "failed"]
    assert (await studio.usage(fay))["balance"]["micros"] == 10 * FLUX_MICROS


async def test_a_bad_last_event_id_or_state_filter_is_a_422(studio: Studio) -> None:
    gus = await studio.user("gus", credit=10 * FLUX_MICROS)
    job = await submit(studio, gus)
    await until(studio, gus, job["id"])
    response = await studio.client.get(f"/api/image-studio/jobs/{job['id']}/events",
                                       headers={**gus, "Last-Event-ID": "yesterday"})
    assert response.status_code == 422 and "Last-Event-ID" in response.text
    listed = await studio.client.get("/api/image-studio/jobs", params={"state": "done"},
                                     headers=gus)
    assert listed.status_code == 422
    assert (await sse(studio, gus, job["id"], last=10_000)) == []  # past the end: nothing


async def test_a_follower_never_sleeps_through_an_event_written_before_it_waits(
    studio: Studio,
) -> None:
    """The event stream reads, then waits for a change: an event written in between has
    already sent its wake-up, so the wait is told the last id read (``seen``) and returns
    at once when the job has anything newer, instead of at the next keep-alive (15 s)."""
    ann = await studio.user("ann", credit=10 * FLUX_MICROS)
    job = await submit(studio, ann)
    await until(studio, ann, job["id"])
    jobs = studio.app.state.api.jobs
    last = (await sse(studio, ann, job["id"]))[-1]["id"]
    loop = asyncio.get_running_loop()

    began = loop.time()
    await asyncio.wait_for(jobs.wait_change(job["id"], 30.0, seen=1), timeout=5)
    assert loop.time() - began < 5

    began = loop.time()
    await jobs.wait_change(job["id"], 0.3, seen=last)  # nothing newer: waits it out
    assert loop.time() - began >= 0.29
