"""``POST /v1/images/edits`` with the official openai SDK against a real uvicorn server on
an ephemeral loopback port: a studio edit engine behind OpenAI's contract."""

from __future__ import annotations

import asyncio
import base64
import io
import socket
from collections.abc import AsyncIterator

import openai
import pytest
import uvicorn
from PIL import Image
from tests.edit.conftest import CREDIT, EditApi, png

from imagestudio.edit.operations import load_operations

INPAINT_PRICE = load_operations()["stability/inpaint"].price_micros


@pytest.fixture
async def base_url(edit_api: EditApi) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(edit_api.app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _key(api: EditApi) -> str:
    return api.headers["Authorization"].removeprefix("Bearer ")


def _openai_mask(size: tuple[int, int]) -> bytes:
    """OpenAI's convention: opaque = keep, transparent = edit."""
    mask = Image.new("RGBA", size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (20, 20, 60, 60))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    return buffer.getvalue()


async def test_sdk_edits_an_image_with_a_mask(edit_api: EditApi, base_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=base_url, api_key=_key(edit_api),
                                  max_retries=0) as client:
        result = await client.images.edit(
            model="stability/inpaint", image=("photo.png", png(200, 120), "image/png"),
            mask=("mask.png", _openai_mask((200, 120)), "image/png"),
            prompt="a red ball on the table")
    [item] = result.data or []
    with Image.open(io.BytesIO(base64.b64decode(item.b64_json or ""))) as image:
        assert image.size == (200, 120)
    assert result.output_format == "png" and result.size == "200x120"
    [sent] = edit_api.stability.requests("POST")
    assert sent.url.path == "/v2beta/stable-image/edit/inpaint"
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - INPAINT_PRICE  # type: ignore[index]


async def test_sdk_url_answers_and_errors_in_openais_shape(
    edit_api: EditApi, base_url: str,
) -> None:
    photo = ("photo.png", png(200, 120), "image/png")
    async with openai.AsyncOpenAI(base_url=base_url, api_key=_key(edit_api),
                                  max_retries=0) as client:
        linked = await client.images.edit(model="stability/remove-background", image=photo,
                                          prompt="cut it out", response_format="url")
        assert (linked.data or [])[0].url
        with pytest.raises(openai.BadRequestError) as unknown:
            await client.images.edit(model="no-such-model", image=photo, prompt="x")
        assert unknown.value.param == "model"
        with pytest.raises(openai.BadRequestError) as wrong_mask:
            await client.images.edit(model="stability/inpaint", image=photo, prompt="x",
                                     mask=("m.png", _openai_mask((50, 50)), "image/png"))
        assert wrong_mask.value.param == "mask" and "200x120" in wrong_mask.value.message
        with pytest.raises(openai.BadRequestError) as many:
            await client.images.edit(model="stability/erase", image=photo, prompt="x", n=2)
        assert many.value.param == "n"
    async with openai.AsyncOpenAI(base_url=base_url, api_key="isk_bad", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError):
            await bad.images.edit(model="stability/erase", image=photo, prompt="x")
    assert len(edit_api.stability.requests("POST")) == 1  # only the good request was sent
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 1  # type: ignore[index]


async def test_sdk_edit_with_gpt_image_1_reaches_openais_edits(
    edit_api: EditApi, base_url: str,
) -> None:
    async with openai.AsyncOpenAI(base_url=base_url, api_key=_key(edit_api),
                                  max_retries=0) as client:
        result = await client.images.edit(
            model="gpt-image-1", image=("photo.png", png(300, 200), "image/png"),
            prompt="make the sky a sunset", size="1024x1024")
    [item] = result.data or []
    with Image.open(io.BytesIO(base64.b64decode(item.b64_json or ""))) as image:
        assert image.size == (1024, 1024)
    [sent] = edit_api.openai.requests("POST")
    assert sent.url.path == "/v1/images/edits" and b'name="image[]"' in sent.content


async def test_a_gif_is_sent_to_the_vendor_as_a_png(edit_api: EditApi, base_url: str) -> None:
    """Found by schemathesis: a GIF upload went to OpenAI as it was, which refuses it
    (a 502 after the hold). The vendors take PNG, JPEG or WebP: a GIF is converted."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "GIF")
    async with openai.AsyncOpenAI(base_url=base_url, api_key=_key(edit_api),
                                  max_retries=0) as client:
        result = await client.images.edit(
            model="gpt-image-1", image=("anim.gif", buffer.getvalue(), "image/gif"),
            prompt="make it blue")
    assert result.data
    [sent] = edit_api.openai.requests("POST")
    assert b"\x89PNG\r\n\x1a\n" in sent.content and b"GIF8" not in sent.content


async def test_sdk_images_after_the_first_are_references(
    edit_api: EditApi, base_url: str,
) -> None:
    async with openai.AsyncOpenAI(base_url=base_url, api_key=_key(edit_api),
                                  max_retries=0) as client:
        result = await client.images.edit(
            model="gpt-image-1", prompt="put the logo on the mug",
            image=[("mug.png", png(300, 200), "image/png"),
                   ("logo.png", png(64, 64), "image/png")])
        assert result.data
        with pytest.raises(openai.BadRequestError) as refused:
            await client.images.edit(
                model="stability/remove-background", prompt="x",
                image=[("a.png", png(100, 100), "image/png"),
                       ("b.png", png(64, 64), "image/png")])
    [sent] = edit_api.openai.requests("POST")
    assert sent.content.count(b'name="image[]"') == 2
    body = refused.value.body
    assert isinstance(body, dict) and body["param"] == "image"
    assert "no reference images" in body["message"]
    assert edit_api.stability.requests("POST") == []
