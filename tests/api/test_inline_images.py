"""Base64 replies are spliced in, byte for byte what a JSON encoder would write."""

from __future__ import annotations

import base64
import json
import os

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
    response = inline.response(reply)
    assert response.media_type == "application/json" and response.body == out
