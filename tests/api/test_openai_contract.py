"""The ``/v1`` contract, judged by the official ``openai`` package's own types.

A real uvicorn server on a loopback port, the SDK as the client, OpenAI's emulator behind
the studio. Every parameter the installed SDK documents for ``images.generate`` is driven
through it (the list comes from the SDK, so a new parameter fails here until handled);
every success body must validate against ``ImagesResponse``/``Model`` with no field the
type does not declare, and every error body against ``ErrorObject``, raised as the SDK
exception class OpenAI's status gives.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest
import uvicorn
from openai.types import ImagesResponse, Model
from openai.types.image_generate_params import ImageGenerateParamsNonStreaming
from openai.types.shared import ErrorObject
from pydantic import BaseModel
from tests.api import vendors as vendor_app
from tests.api.vendors import Vendors

from imagestudio.api.openai_params import ImageGenerateRequest

vendors = vendor_app.vendors  # the fixture

SDK_PARAMS = ImageGenerateParamsNonStreaming.__required_keys__ | (
    ImageGenerateParamsNonStreaming.__optional_keys__
)
# One valid value per documented parameter (gif/svg and stream=true are refused, see below).
EVERY_PARAM: dict[str, Any] = {
    "prompt": "a lighthouse", "model": "gpt-image-1", "n": 2, "size": "1536x1024",
    "quality": "low", "response_format": "b64_json", "output_format": "webp",
    "output_compression": 70, "background": "transparent", "moderation": "low",
    "style": "natural", "stream": False, "partial_images": 1, "user": "u-9",
    "safety_identifier": "sid-9", "complexity": "low", "frame_count": 3,
    "frame_duration_ms": 50, "svg": {"model": "svg-author", "reasoning": {"effort": "low"}},
}


@pytest.fixture
async def client(vendors: Vendors) -> AsyncIterator[openai.AsyncOpenAI]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(vendors.app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    key = vendors.headers["Authorization"].removeprefix("Bearer ")
    try:
        async with openai.AsyncOpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0
        ) as sdk:
            yield sdk
    finally:
        server.should_exit = True
        await task
        sock.close()


def conforms(model: type[BaseModel], body: Any) -> BaseModel:
    """``body`` validates against ``model`` and holds no field it does not declare."""
    parsed = model.model_validate(body)
    undeclared = set(body) - set(model.model_fields)
    assert not undeclared, f"{model.__name__} does not declare {undeclared}"
    for name, value in body.items():
        nested = getattr(parsed, name)
        if isinstance(value, dict) and isinstance(nested, BaseModel):
            conforms(type(nested), value)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            conforms(type(getattr(parsed, name)[0]), value[0])
    return parsed


def test_the_request_model_takes_every_parameter_the_sdk_documents() -> None:
    assert set(ImageGenerateRequest.model_fields) >= SDK_PARAMS
    assert set(EVERY_PARAM) == SDK_PARAMS


async def test_every_documented_parameter_through_the_sdk(
    client: openai.AsyncOpenAI, vendors: Vendors
) -> None:
    raw = await client.images.with_raw_response.generate(**EVERY_PARAM)
    body = raw.http_response.json()

    result = conforms(ImagesResponse, body)
    assert isinstance(result, ImagesResponse)
    assert len(result.data or []) == 2 and all(d.b64_json for d in result.data or [])
    assert (result.background, result.output_format, result.size) == (
        "transparent", "webp", "1536x1024"
    )
    assert result.safety_identifier == "sid-9"
    assert raw.headers.get_list("x-imagestudio-warning")


@pytest.mark.parametrize(
    "params",
    [
        {"prompt": "x"},
        {"prompt": "x", "model": "local", "size": "256x256", "response_format": "url"},
        {"prompt": "x", "model": "stability/core", "size": "999x999", "n": 1,
         "output_format": "jpeg", "quality": "high"},
        dict.fromkeys(SDK_PARAMS - {"prompt", "user"}) | {"prompt": "x"},
    ],
    ids=["minimal", "local-url", "stability", "all-null"],
)
async def test_successes_conform_to_images_response(
    client: openai.AsyncOpenAI, params: dict[str, Any]
) -> None:
    raw = await client.images.with_raw_response.generate(**params)
    result = conforms(ImagesResponse, raw.http_response.json())
    assert isinstance(result, ImagesResponse) and result.data


async def test_models_conform_to_model(client: openai.AsyncOpenAI) -> None:
    page = await client.models.with_raw_response.list()
    body = page.http_response.json()
    assert set(body) == {"object", "data"} and body["object"] == "list"
    for entry in body["data"]:
        assert isinstance(Model.model_validate(entry), Model)
    for name in ("openai/gpt-image-1", "gpt-image-1", "stability/core", "local"):
        retrieved = await client.models.retrieve(name)
        assert (retrieved.id, retrieved.object) == (name, "model")


@pytest.mark.parametrize(
    ("params", "exception", "param"),
    [
        ({"n": 11}, openai.BadRequestError, "n"),
        ({"size": "²x²"}, openai.BadRequestError, "size"),
        ({"quality": "ultra"}, openai.BadRequestError, "quality"),
        ({"stream": True}, openai.BadRequestError, "stream"),
        ({"output_format": "gif"}, openai.BadRequestError, "output_format"),
        ({"output_format": "svg"}, openai.BadRequestError, "output_format"),
        ({"background": "transparent", "model": "stability/core"}, openai.BadRequestError,
         "background"),
        ({"model": "no-such-model"}, openai.BadRequestError, "model"),
        ({"model": "gemini/imagen-4"}, openai.BadRequestError, "model"),
        ({"extra_body": {"colour": "red"}}, openai.BadRequestError, "colour"),
    ],
)
async def test_errors_conform_to_error_object_and_raise_the_sdk_class(
    client: openai.AsyncOpenAI, params: dict[str, Any], exception: type[Exception],
    param: str,
) -> None:
    params = {"prompt": "x", "model": "gpt-image-1", **params}
    if params.get("stream") is True:  # the SDK would read SSE; send the flag as raw JSON
        params["extra_body"] = {"stream": True}
        params.pop("stream")
    with pytest.raises(exception) as raised:
        await client.images.generate(**params)
    error = raised.value
    assert isinstance(error, openai.APIStatusError)
    assert isinstance(error.body, dict) and set(error.body) == {"message", "type", "param", "code"}
    conforms(ErrorObject, error.body)
    assert (error.type, error.param) == ("invalid_request_error", param)  # type: ignore[attr-defined]


async def test_auth_and_missing_model_errors_raise_their_sdk_classes(
    client: openai.AsyncOpenAI,
) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        await client.models.retrieve("no-such-model")
    assert missing.value.code == "model_not_found"  # type: ignore[attr-defined]
    conforms(ErrorObject, missing.value.body)
    bad = client.with_options(api_key="isk_wrong")
    with pytest.raises(openai.AuthenticationError) as denied:
        await bad.images.generate(prompt="x")
    assert denied.value.code == "invalid_api_key"  # type: ignore[attr-defined]
    conforms(ErrorObject, denied.value.body)
