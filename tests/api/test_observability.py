"""``/metrics`` behind its token, request ids, and JSON log lines with request and job ids.

The app runs over SQLite and PostgreSQL; WaveSpeed is its emulator behind a mock transport
(the API tests' setup), so a create calls a vendor the metrics count.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.api.conftest import make_services, server_settings

from imagestudio import logs
from imagestudio.api.app import create_app
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.settings import Settings

TOKEN = "scrape-me"


@pytest.fixture
async def observed(
    migrated_database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data",
                        database_url=migrated_database_url,
                        wavespeed_api_key="test-key", retry_max_attempts=1)
    services = make_services(settings, WaveSpeedEmulator(api_key="test-key",
                                                         polls_before_done=0))
    app = create_app(settings, services, server_settings(metrics_token=TOKEN,
                                                         log_format="json"))
    async with app.router.lifespan_context(app):
        persistence = app.state.api.persistence
        user = await persistence.accounts.create_user("mo", plan="pro")
        await persistence.credits.admin.grant("mo", 5_000_000, note="test setup")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://studio.test") as c:
            yield c, user.key
    await services.aclose()


def _value(text: str, series: str) -> float:
    """The series' value (0 when absent: the registry is this process's, shared by the
    tests, so they compare before and after)."""
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return 0.0 if found is None else float(found.group(1))


async def _scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    return answer.text


async def test_metrics_need_the_token_and_count_requests_vendors_jobs_and_credits(
    observed: tuple[httpx.AsyncClient, str],
) -> None:
    client, key = observed
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    before = await _scrape(client)
    created = await client.post(
        "/api/image-studio/create", headers={"Authorization": f"Bearer {key}"},
        json={"prompt": "a kite", "model": "wavespeed/ideogram-v3-turbo",
              "width": 1024, "height": 1024})
    assert created.status_code == 200, created.text
    cost = created.json()["cost"]["micros"]
    assert re.fullmatch(r"[0-9a-f]{32}", created.headers["x-request-id"])
    text = await _scrape(client)

    def grew(series: str) -> float:
        return _value(text, series) - _value(before, series)

    assert grew('imagestudio_http_requests_total{method="POST",'
                'route="/api/image-studio/create",status="200"}') == 1
    assert grew('imagestudio_http_request_duration_seconds_count'
                '{route="/api/image-studio/create"}') == 1
    assert grew('imagestudio_vendor_requests_total{outcome="200",'
                'vendor="wavespeed"}') >= 2  # the submit and its result
    assert _value(text, "imagestudio_credits_captured_micros") == cost > 0
    assert _value(text, "imagestudio_queue_depth") == 0
    assert "# TYPE imagestudio_http_request_duration_seconds histogram" in text


async def test_an_unmatched_route_is_one_series_and_a_given_request_id_is_kept(
    observed: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = observed
    before = await _scrape(client)
    for path in ("/nope/1", "/nope/2"):
        answer = await client.get(path, headers={"X-Request-ID": "abc-123"})
        assert answer.headers["x-request-id"] == "abc-123"
    bad = await client.get("/nope/3", headers={"X-Request-ID": "no spaces allowed"})
    assert bad.headers["x-request-id"] != "no spaces allowed"
    text = await _scrape(client)
    series = 'imagestudio_http_requests_total{method="GET",route="unmatched",status="404"}'
    assert _value(text, series) - _value(before, series) == 3


def test_json_log_lines_carry_the_request_and_job_ids() -> None:
    record = logging.LogRecord("imagestudio.jobs", logging.WARNING, __file__, 1,
                               "job %s slow", ("j1",), None)
    plain = json.loads(logs.JsonFormatter().format(record))
    assert plain["message"] == "job j1 slow" and "request_id" not in plain
    r, j = logs.request_id.set("r1"), logs.job_id.set("j1")
    try:
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id.reset(r)
        logs.job_id.reset(j)
    assert line["request_id"] == "r1" and line["job_id"] == "j1"
    assert line["level"] == "warning" and line["logger"] == "imagestudio.jobs"
