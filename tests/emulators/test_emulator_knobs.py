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
