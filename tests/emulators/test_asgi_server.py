"""An emulator served by uvicorn on 127.0.0.1, driven by a provider over real HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from imagestudio.emulators.asgi import create_app
from imagestudio.emulators.wavespeed import QWEN, WaveSpeedEmulator
from imagestudio.providers._http import build_http_client
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import ProviderOutcomeUnknown
from imagestudio.providers.wavespeed import WaveSpeedProvider
from imagestudio.settings import ProviderSettings

KEY = "ws-live-loopback-key"
REQUEST = ProviderRequest(QWEN, "a teapot", SizeRequest(320, 256), seed=1)


@pytest.fixture
def emulator() -> WaveSpeedEmulator:
    return WaveSpeedEmulator(KEY, polls_before_done=2)


@pytest.fixture
async def base_url(emulator: WaveSpeedEmulator) -> AsyncIterator[str]:
    config = uvicorn.Config(
        create_app(emulator),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="none",
        log_level="warning",
        log_config=None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn failed to start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _settings(base_url: str, timeout_s: float = 5) -> ProviderSettings:
    return ProviderSettings(
        name="wavespeed",
        api_key=SecretStr(KEY),
        base_url=base_url,
        timeout_s=timeout_s,
        max_concurrency=1,
    )


async def test_provider_polls_and_downloads_over_real_http(
    base_url: str, emulator: WaveSpeedEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.sync_mode_times_out()
    settings = _settings(base_url)
    async with build_http_client(settings, allow_network=False) as client:
        provider = WaveSpeedProvider(settings, client=client, poll_interval_s=0.01)
        result = await provider.generate(REQUEST)

    assert (result.images[0].width, result.images[0].height) == (320, 256)
    assert [r.method for r in emulator.calls].count("POST") == 1
    assert emulator.calls[-1].url.path.startswith("/media/")
    assert emulator.calls[-1].headers["user-agent"].startswith("imagestudio/")
    assert KEY not in caplog.text


async def test_a_hanging_submit_is_outcome_unknown_over_real_http(
    base_url: str, emulator: WaveSpeedEmulator
) -> None:
    emulator.timeout(method="POST")
    settings = _settings(base_url, timeout_s=0.3)
    async with build_http_client(settings, allow_network=False) as client:
        provider = WaveSpeedProvider(settings, client=client)
        with pytest.raises(ProviderOutcomeUnknown):
            await provider.generate(REQUEST)


async def test_non_provider_clients_see_the_vendor_wire_format(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as http:
        response = await http.post(
            f"/api/v3/{QWEN}",
            json={"prompt": "x", "size": "1*1"},
            headers={"Authorization": f"Bearer {KEY}"},
        )

    assert response.status_code == 400
    assert response.json()["code"] == 400
