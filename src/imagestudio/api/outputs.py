"""How the create routes hand over an outcome's images: signed URLs, base64 on request."""

from __future__ import annotations

import secrets
from typing import Any

import pybase64
from fastapi import Request, Response
from pydantic import BaseModel

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

    def render(self, model: BaseModel, *, exclude_none: bool = False) -> bytes:
        """``model`` as JSON bytes with every placeholder replaced."""
        text = model.model_dump_json(exclude_none=exclude_none).encode()
        first, *rest = text.split(b'"' + self._token.encode() + b"-")
        out = [first]
        for part in rest:  # each starts with the image's index and the closing quote
            index, _, tail = part.partition(b'"')
            out += (b'"', pybase64.b64encode(self._images[int(index)]), b'"', tail)
        return b"".join(out)

    def response(self, model: BaseModel, *, exclude_none: bool = False) -> Response:
        return Response(
            content=self.render(model, exclude_none=exclude_none),
            media_type="application/json",
        )


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
