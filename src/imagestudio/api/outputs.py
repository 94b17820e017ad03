"""How the create routes hand over an outcome's images: signed URLs, base64 on request."""

from __future__ import annotations

import secrets
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

    def parts(self, model: BaseModel, *, exclude_none: bool = False) -> list[bytes]:
        """``model`` as JSON, in pieces that join to :meth:`render`'s bytes."""
        text = model.model_dump_json(exclude_none=exclude_none).encode()
        first, *rest = text.split(b'"' + self._token.encode() + b"-")
        out = [first]
        for part in rest:  # each starts with the image's index and the closing quote
            index, _, tail = part.partition(b'"')
            out[-1] += b'"'  # JSON around the images is small; the base64 is not copied
            out += (pybase64.b64encode(self._images[int(index)]), b'"' + tail)
        return out

    def render(self, model: BaseModel, *, exclude_none: bool = False) -> bytes:
        """``model`` as JSON bytes with every placeholder replaced."""
        return b"".join(self.parts(model, exclude_none=exclude_none))

    def response(self, model: BaseModel, *, exclude_none: bool = False) -> Response:
        """The reply, sent piece by piece: the megabytes of base64 are not copied again
        into one body."""
        return PartsResponse(self.parts(model, exclude_none=exclude_none))


class PartsResponse(Response):
    """A JSON response whose body is sent as the given pieces, with their total as its
    ``Content-Length``; ``body`` is left empty."""

    media_type = "application/json"

    def __init__(self, parts: list[bytes]) -> None:
        super().__init__()
        self.parts = [part for part in parts if part]
        self.headers["content-length"] = str(sum(len(part) for part in self.parts))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        await send(
            {"type": "http.response.start", "status": self.status_code,
             "headers": self.raw_headers}
        )
        last = len(self.parts) - 1
        for i, part in enumerate(self.parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < last})
        if not self.parts:
            await send({"type": "http.response.body", "body": b""})


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
