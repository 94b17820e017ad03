from __future__ import annotations

import time

import httpx
import pytest

from imagestudio.emulators import EMULATORS, load_emulator
from imagestudio.emulators.openai import OpenAIEmulator

URL = "https://api.openai.com/v1/images/generations"
AUTH = {"Authorization": "Bearer test-key"}
BODY = {"model": "gpt-image-1", "prompt": "x", "size": "1024x1024", "quality": "low"}


def test_registry_is_exact() -> None:
    assert set(EMULATORS) == {"stability", "wavespeed", "huggingface", "gemini", "openai"}
    with pytest.raises(KeyError, match="known"):
        load_emulator("Stability")


def test_fail_next_matches_method_and_path_and_counts_down() -> None:
    emulator = OpenAIEmulator()
    emulator.fail_next(503, times=2, method="POST", path="/v1/images")
    emulator.fail_next(500, path="/elsewhere")
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        statuses = [http.post(URL, json=BODY, headers=AUTH).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert len(emulator.calls) == 3


def test_fail_next_with_raw_body_and_headers() -> None:
    emulator = OpenAIEmulator()
    emulator.fail_next(502, "<html>bad gateway</html>", {"x-extra": "1"})
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        response = http.post(URL, json=BODY, headers=AUTH)

    assert response.text == "<html>bad gateway</html>"
    assert response.headers["x-extra"] == "1"


def test_timeout_raises_read_timeout_once() -> None:
    emulator = OpenAIEmulator()
    emulator.timeout()
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.post(URL, json=BODY, headers=AUTH)
        assert http.post(URL, json=BODY, headers=AUTH).status_code == 200


def test_rate_limit_sets_the_header() -> None:
    emulator = OpenAIEmulator()
    emulator.rate_limit(retry_after=2.0)
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        response = http.post(URL, json=BODY, headers=AUTH)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"


async def test_latency_is_an_async_sleep() -> None:
    emulator = OpenAIEmulator(latency_s=0.05)
    started = time.monotonic()
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async)) as http:
        response = await http.post(URL, json=BODY, headers=AUTH)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.05


def test_api_key_none_accepts_any_non_empty_key() -> None:
    emulator = OpenAIEmulator(api_key=None)
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        ok = http.post(URL, json=BODY, headers={"Authorization": "Bearer anything"})
        empty = http.post(URL, json=BODY, headers={"Authorization": "Bearer "})

    assert ok.status_code == 200
    assert empty.status_code == 401


async def test_chaos_answers_unbilled_503s_and_paid_counts_only_billed_calls() -> None:
    emulator = OpenAIEmulator()
    emulator.chaos(1.0, seed=1)
    request = httpx.Request("POST", URL, json=BODY, headers=AUTH)
    assert (await emulator.handle_async(request)).status_code == 503
    assert emulator.paid == [] and len(emulator.calls) == 1
    emulator.chaos(0.0, slow_rate=1.0, slow_s=0.01, seed=1)
    assert (await emulator.handle_async(request)).status_code == 200
    assert emulator.paid == [request] and len(emulator.calls) == 2


async def test_the_served_emulator_reports_its_bill() -> None:
    from imagestudio.emulators.asgi import STATS_PATH, create_app

    emulator = OpenAIEmulator()
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://emu.test") as http:
        assert (await http.post("/v1/images/generations", json=BODY, headers=AUTH)).is_success
        stats = (await http.get(STATS_PATH)).json()
    assert stats == {"calls": 1, "paid": 1, "paid_bodies": [BODY]}
