"""No reference cycles on the request path: every image holder is freed by reference
counting when its request ends, so memory does not depend on the cyclic collector.

The studio's OpenAI client talks to the OpenAI emulator over real HTTP on loopback;
the API is driven as a raw ASGI app (no HTTP client on the test side, whose own objects
would blur the picture). With the cyclic collector disabled, a collection after the
requests must find no image holder, exception, traceback or frame.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from PIL import Image
from tests.api.conftest import server_settings

from imagestudio.api.app import create_app
from imagestudio.container import build_services
from imagestudio.emulators.asgi import create_app as emulator_app
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.generation.postprocess import RenderedImage
from imagestudio.providers.base import GeneratedImage, ProviderResult
from imagestudio.settings import Settings

KEY = "sk-loopback"
BODY = json.dumps({"model": "gpt-image-1", "prompt": "a kettle", "size": "1024x1024", "n": 2})
HOLDERS = (GeneratedImage, ProviderResult, RenderedImage, httpx.Response, Image.Image)
BIG = 32 * 1024


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[OpenAIEmulator, str]]:
    emulator = OpenAIEmulator(api_key=KEY)
    config = uvicorn.Config(
        emulator_app(emulator), host="127.0.0.1", port=0, lifespan="off",
        log_level="warning", log_config=None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn failed to start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield emulator, f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        await task


async def _post(app: FastAPI, path: str, body: bytes, key: str) -> tuple[int, bytes]:
    """One request through the ASGI app, no client library in between."""
    messages: list[dict[str, Any]] = []
    inbox = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return inbox.pop() if inbox else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    headers = [
        (b"authorization", f"Bearer {key}".encode()),
        (b"content-type", b"application/json"),
        (b"host", b"studio.test"),
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("studio.test", 80),
    }
    await app(scope, receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


def _cyclic_garbage() -> list[str]:
    """What a full collection finds unreachable: image holders, exceptions, frames and
    large buffers held by collected objects (described, so nothing stays referenced)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = []
        for obj in gc.garbage:
            if isinstance(obj, (*HOLDERS, BaseException)) or type(obj).__name__ in (
                "frame", "traceback", "coroutine",
            ):
                found.append(type(obj).__name__)
            values = obj.values() if isinstance(obj, dict) else getattr(obj, "__dict__", {})
            if isinstance(values, dict):
                values = values.values()
            for value in values if not isinstance(obj, (list, tuple)) else obj:
                if isinstance(value, (bytes, bytearray, str, memoryview)) and len(value) > BIG:
                    found.append(f"{len(value)}-byte {type(value).__name__}")
        return found
    finally:
        gc.garbage.clear()
        gc.set_debug(0)


async def test_creating_images_leaves_nothing_for_the_cyclic_collector(
    database_url: str, tmp_path: Path, upstream: tuple[OpenAIEmulator, str]
) -> None:
    emulator, base_url = upstream
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", database_url=database_url,
        openai_api_key=KEY, openai_base_url=base_url, retry_max_attempts=1,
    )
    services = build_services(settings)
    app = create_app(settings, services, server_settings())
    try:
        async with app.router.lifespan_context(app):
            persistence = app.state.api.persistence
            user = await persistence.accounts.create_user("alice", plan="pro")
            await persistence.credits.admin.grant("alice", 10**9, note="test setup")
            for _ in range(2):  # warm every lazy path first
                status, _body = await _post(app, "/v1/images/generations", BODY.encode(), user.key)
                assert status == 200
            emulator.truncate_image(2)
            status, _body = await _post(app, "/v1/images/generations", BODY.encode(), user.key)
            assert status == 502
            gc.collect()

            gc.disable()
            try:
                for _ in range(3):
                    status, body = await _post(
                        app, "/v1/images/generations", BODY.encode(), user.key
                    )
                    assert status == 200 and b'"b64_json"' in body
                emulator.truncate_image(2)  # the failure path: vendor bytes refused
                status, body = await _post(app, "/v1/images/generations", BODY.encode(), user.key)
                assert status == 502 and b"generation_failed" in body  # /v1: OpenAI's error shape
                del body
                assert _cyclic_garbage() == []
            finally:
                gc.enable()
    finally:
        await services.aclose()
