"""How the create routes hand over an outcome's images: signed URLs, base64 on request."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import Request

from imagestudio.api.deps import ApiState
from imagestudio.assets.recorder import ImageFile
from imagestudio.generation.schemas import CreateResult, VariationPublic
from imagestudio.studio.contracts import Outcome


def b64(image: ImageFile) -> str:
    return base64.b64encode(image.data).decode("ascii")


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
