"""How the create routes hand over an outcome's images: signed URLs, base64 on request."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pybase64
from fastapi import Request, Response
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from imagestudio.api.deps import ApiState
from imagestudio.assets.recorder import ImageFile
from imagestudio.generation.schemas import CreateResult, VariationPublic
from imagestudio.studio.contracts import Outcome


def b64(image: ImageFile) -> str:
    return pybase64.b64encode(image.data).decode("ascii")


class InlineImages:
    """A JSON reply whose base64 fields hold whole images, written without passing
    megabytes of base64 through a JSON encoder (which scans every character for escapes).

    Each field first holds a placeholder from :meth:`slot`, unique to this reply; after
    the model is serialised, each placeholder is replaced by the image's base64 (its
    alphabet never needs escaping).
    """

    def __init__(self) -> None:
        self._token = secrets.token_hex(12)
        self._images: list[bytes] = []

    def slot(self, data: bytes) -> str:
        """The placeholder to put where ``data``'s base64 belongs."""
        self._images.append(data)
        return f"{self._token}-{len(self._images) - 1}"

    def parts(self, model: BaseModel, *, exclude_none: bool = False) -> list[bytes | Base64]:
        """``model`` as JSON, in pieces that join to :meth:`render`'s bytes: the JSON
        around the images as bytes, each image as a :class:`Base64` still to encode."""
        text = model.model_dump_json(exclude_none=exclude_none).encode()
        first, *rest = text.split(b'"' + self._token.encode() + b"-")
        out: list[bytes | Base64] = []
        for part in rest:  # each starts with the image's index and the closing quote
            index, _, tail = part.partition(b'"')
            out += (first + b'"', Base64(self._images[int(index)]))
            first = b'"' + tail  # JSON around the images is small: copying it is cheap
        out.append(first)
        return out

    def render(self, model: BaseModel, *, exclude_none: bool = False) -> bytes:
        """``model`` as JSON bytes with every placeholder replaced."""
        return b"".join(
            part if isinstance(part, bytes) else pybase64.b64encode(part.data)
            for part in self.parts(model, exclude_none=exclude_none)
        )

    def response(self, model: BaseModel, *, exclude_none: bool = False) -> Response:
        """The reply, sent piece by piece: no image's base64 exists whole (see
        :class:`PartsResponse`)."""
        return PartsResponse(self.parts(model, exclude_none=exclude_none))


class Base64:
    """An image's base64, encoded :data:`PIECE` bytes of image at a time as it is sent."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __len__(self) -> int:
        return 4 * ((len(self.data) + 2) // 3)

    def pieces(self) -> Iterator[bytes]:
        view = memoryview(self.data)
        for start in range(0, len(view), PIECE):  # PIECE is a multiple of 3: no padding
            yield pybase64.b64encode(view[start:start + PIECE])  # between the pieces


# Image bytes per body message (256 KiB of base64). Sent whole, a 3 MB image's 4 MB of
# base64 lived until the client had read all of it, and so did the copy the socket
# transport keeps of what the kernel has not taken yet: per request in flight, 8 MB
# more than needed, and the heap's high-water mark crept up with every rare moment when
# more of them overlapped (docs/performance.md, "Resident memory on the vendor path").
PIECE = 3 * 64 * 1024


class PartsResponse(Response):
    """A JSON response whose body is sent as the given pieces (:class:`Base64` ones
    encoded as they go), with their total as its ``Content-Length``; ``body`` is left
    empty."""

    media_type = "application/json"

    def __init__(self, parts: list[bytes | Base64]) -> None:
        super().__init__()
        self.parts = [part for part in parts if len(part)]
        self.headers["content-length"] = str(sum(len(part) for part in self.parts))

    def _messages(self) -> Iterator[bytes]:
        for part in self.parts:
            if isinstance(part, bytes):
                yield part
            else:
                yield from part.pieces()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        await send(
            {"type": "http.response.start", "status": self.status_code,
             "headers": self.raw_headers}
        )
        body = b""
        for following in self._messages():  # one behind, to know which one is last
            if body:
                await send({"type": "http.response.body", "body": body, "more_body": True})
            body = following
        await send({"type": "http.response.body", "body": body, "more_body": False})


def with_links(
    state: ApiState, http: Request, outcome: Outcome[CreateResult], *, inline: bool
) -> list[VariationPublic]:
    """The variations with ``url`` and ``asset_id`` set (and ``b64_json`` when ``inline``)."""
    out: list[VariationPublic] = []
    for variation, image, asset in zip(
        outcome.result.variations, outcome.outputs, outcome.assets, strict=True
    ):
        if image is None or asset is None:
            out.append(variation)
            continue
        update: dict[str, Any] = {
            "asset_id": asset.id,
            "url": state.file_url(http, asset.id, asset.file_key),
        }
        if inline:
            update["b64_json"] = b64(image)
        out.append(variation.model_copy(update=update))
    return out
