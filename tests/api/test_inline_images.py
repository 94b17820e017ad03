"""Base64 replies are spliced in, byte for byte what a JSON encoder would write."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from pydantic import BaseModel

from imagestudio.api.outputs import InlineImages


class Item(BaseModel):
    b64_json: str | None = None
    revised_prompt: str | None = None


class Reply(BaseModel):
    created: int
    data: list[Item]


def test_inline_images_write_what_the_encoder_would() -> None:
    images = [os.urandom(300_001), b"", os.urandom(7)]
    inline = InlineImages()
    prompt = 'a "quoted" prompt \u00e9 with a lookalike: 0000-0'
    reply = Reply(
        created=1, data=[Item(b64_json=inline.slot(d), revised_prompt=prompt) for d in images]
    )
    expected = Reply(
        created=1,
        data=[Item(b64_json=base64.b64encode(d).decode(), revised_prompt=prompt) for d in images],
    )
    out = inline.render(reply, exclude_none=True)
    assert out == expected.model_dump_json(exclude_none=True).encode()
    assert [base64.b64decode(i["b64_json"]) for i in json.loads(out)["data"]] == images
    parts = inline.parts(reply, exclude_none=True)  # images in pieces of 192 KiB: the
    assert b"".join(  # 300,001-byte one's base64 in two, joined without padding between
        p if isinstance(p, bytes) else b"".join(p.pieces()) for p in parts
    ) == out


async def test_the_reply_is_sent_in_pieces_with_their_total_length() -> None:
    images = [os.urandom(3_000_000), os.urandom(10)]
    inline = InlineImages()
    reply = Reply(created=1, data=[Item(b64_json=inline.slot(d)) for d in images])
    encoded = [base64.b64encode(d) for d in images]
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        raise AssertionError("a response does not read the request")

    await inline.response(reply)({"type": "http"}, receive, send)
    start, *bodies = sent
    headers = dict(start["headers"])
    body = b"".join(b["body"] for b in bodies)
    assert body == inline.render(reply)
    assert headers[b"content-length"] == str(len(body)).encode()
    assert headers[b"content-type"] == b"application/json"
    assert [b["more_body"] for b in bodies] == [True] * (len(bodies) - 1) + [False]
    # no image's base64 is sent (or held) whole: at most 256 KiB of it per message
    assert max(len(b["body"]) for b in bodies) == 256 * 1024
    assert encoded[0] in body and encoded[1] in body
