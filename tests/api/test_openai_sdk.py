"""The official openai SDK against a real uvicorn server on an ephemeral loopback port."""

from __future__ import annotations

import asyncio
import base64
import io
import socket
from collections.abc import AsyncIterator

import httpx
import openai
import pytest
import uvicorn
from PIL import Image
from tests.api.conftest import Api


@pytest.fixture
async def base_url(api: Api) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(api.app, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _key(api: Api) -> str:
    return api.alice["Authorization"].removeprefix("Bearer ")


async def test_sdk_generates_two_decodable_images(api: Api, base_url: str) -> None:
    client = openai.AsyncOpenAI(base_url=f"{base_url}/v1", api_key=_key(api), max_retries=0)
    async with client:
        result = await client.images.generate(
            model="local", prompt="a lighthouse at dawn", n=2, size="1024x1024"
        )
        assert len(result.data or []) == 2
        async with httpx.AsyncClient() as http:
            for item in result.data or []:
                assert item.url is not None and item.url.startswith(base_url)
                response = await http.get(item.url)
                assert response.status_code == 200
                image = Image.open(io.BytesIO(response.content))
                image.load()
                assert image.size == (1024, 1024)

        inline = await client.images.generate(
            model="local",
            prompt="a lighthouse",
            n=1,
            size="512x512",
            response_format="b64_json",
            output_format="jpeg",
        )
        data = base64.b64decode((inline.data or [])[0].b64_json or "")
        assert Image.open(io.BytesIO(data)).format == "JPEG"

        models = await client.models.list()
        assert {"local", "local/draft-renderer", "gpt-image-1"} <= {m.id for m in models.data}


async def test_sdk_errors_surface_as_sdk_exceptions(api: Api, base_url: str) -> None:
    async with openai.AsyncOpenAI(
        base_url=f"{base_url}/v1", api_key="isk_bad", max_retries=0
    ) as bad:
        with pytest.raises(openai.AuthenticationError):
            await bad.images.generate(model="local", prompt="x")
    async with openai.AsyncOpenAI(
        base_url=f"{base_url}/v1", api_key=_key(api), max_retries=0
    ) as client:
        with pytest.raises(openai.BadRequestError) as invalid:
            await client.images.generate(model="local", prompt="x", n=11)
        assert (invalid.value.type, invalid.value.param) == ("invalid_request_error", "n")
        assert invalid.value.code == "invalid_value" and "n" in invalid.value.message
        with pytest.raises(openai.BadRequestError) as size:
            await client.images.generate(model="local", prompt="x", size="99999x2")
        assert size.value.param == "size"
        with pytest.raises(openai.BadRequestError) as background:
            await client.images.generate(model="local", prompt="x", background="transparent")
        assert background.value.param == "background"
        with pytest.raises(openai.BadRequestError) as unknown:
            await client.images.generate(model="no-such-model", prompt="x")
        assert "no-such-model" in str(unknown.value)
        assert (unknown.value.param, unknown.value.code) == ("model", "model_not_found")
