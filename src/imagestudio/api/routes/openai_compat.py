"""OpenAI-compatible image generation (``/v1``): the official SDK works unchanged.

Point ``openai.OpenAI(base_url="http://host:port/v1", api_key=<studio key>)`` at the
studio. ``model`` accepts any studio model id or alias (``local``, ``stability/core``,
``gpt-image-1`` …). Images are stored in the library like any other generation.
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from imagestudio.api.deps import IdempotencyKeyDep, StateDep, UserDep, lean_post
from imagestudio.api.errors import error_responses
from imagestudio.api.outputs import InlineImages
from imagestudio.catalog.schemas import QualityTier
from imagestudio.errors import InvalidRequest, UnsupportedByModel
from imagestudio.generation.schemas import MAX_SIDE, MAX_VARIATIONS, MIN_SIDE, CreateRequest

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

OpenAIQuality = Literal["auto", "low", "medium", "high", "standard", "hd"]
_TIERS: dict[str, QualityTier | None] = {
    "auto": None, "low": "draft", "medium": "standard", "standard": "standard",
    "high": "premium", "hd": "premium",
}
_QUALITY_NAMES: dict[str, Literal["low", "medium", "high"]] = {
    "draft": "low", "standard": "medium", "premium": "high",
}


class ImageGenerateRequest(BaseModel):
    """The OpenAI ``images.generate`` body (fields the studio cannot honour are refused)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=32000)
    model: str | None = Field(default=None, max_length=100, description="Studio model or alias.")
    n: int = Field(default=1, ge=1, le=MAX_VARIATIONS)
    size: str | None = Field(default=None, max_length=20, description="'WxH' or 'auto'.")
    quality: OpenAIQuality | None = None
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "webp"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    user: str | None = Field(default=None, max_length=256, description="Accepted; not stored.")


class ImageData(BaseModel):
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[ImageData]
    background: Literal["opaque"] = "opaque"
    output_format: Literal["png", "jpeg", "webp"]
    quality: Literal["low", "medium", "high"]
    size: str


class ModelPublic(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str
    available: bool


class ModelsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelPublic]


def _size(size: str | None) -> tuple[int | None, int | None]:
    if size is None or size == "auto":
        return None, None
    width, sep, height = size.partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise InvalidRequest(f"size must be 'WxH' or 'auto', got {size!r}", field="size")
    w, h = int(width), int(height)
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise InvalidRequest(
            f"size sides must be {MIN_SIDE}–{MAX_SIDE} pixels, got {size}", field="size"
        )
    return w, h


def to_create_request(body: ImageGenerateRequest) -> CreateRequest:
    """Translate the OpenAI body; raises InvalidRequest/UnsupportedByModel naming the field."""
    if body.background == "transparent":
        raise UnsupportedByModel(
            "transparent backgrounds are not supported; use 'opaque' or 'auto'",
            field="background", details={"supported": ["opaque", "auto"]},
        )
    width, height = _size(body.size)
    return CreateRequest(
        prompt=body.prompt,
        model=body.model,
        num_variations=body.n,
        width=width,
        height=height,
        quality=_TIERS[body.quality] if body.quality else None,
        output_format=body.output_format or "png",
        enhance_prompt=False,
    )


@lean_post(
    router, "/images/generations",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    responses=error_responses(401, 402, 403, 404, 409, 413, 422, 429, 502, 503),
)
async def create_image(
    body: ImageGenerateRequest,
    http: Request,
    user: UserDep,
    state: StateDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """Create images (OpenAI ImagesResponse shape); URLs by default, gpt-image-* base64."""
    outcome = await state.persistence.workflow.execute(
        state.services.image_generation, user, to_create_request(body),
        idempotency_key=idempotency_key, scope="openai.images.generations",
    )
    result = outcome.result
    inline = (body.response_format or _default_format(body.model)) == "b64_json"
    data: list[ImageData] = []
    images = InlineImages()
    for image, asset in zip(outcome.outputs, outcome.assets, strict=True):
        if image is None or asset is None:
            continue
        data.append(
            ImageData(b64_json=images.slot(image.data), revised_prompt=result.enhanced_prompt)
            if inline
            else ImageData(url=state.file_url(http, asset.id, asset.file_key),
                           revised_prompt=result.enhanced_prompt)
        )
    response = ImagesResponse(
        created=int(time.time()),
        data=data,
        output_format=body.output_format or "png",
        quality=_QUALITY_NAMES[result.quality],
        size=f"{result.target.width}x{result.target.height}",
    )
    return images.response(response, exclude_none=True)


def _default_format(model: str | None) -> str:
    # OpenAI's gpt-image models only ever answer with b64_json; clients written for
    # them read that field, so keep their default.
    return "b64_json" if (model or "").startswith("gpt-image") else "url"


@router.get("/models", response_model=ModelsPublic, responses=error_responses(401))
async def list_models(_user: UserDep, state: StateDep) -> ModelsPublic:
    """Every studio model id and alias usable as ``model``."""
    ready = state.services.available_providers
    data = [
        ModelPublic(id=name, owned_by=model.provider, available=model.provider in ready)
        for model in state.services.catalog.models.values()
        for name in (model.id, *model.aliases)
    ]
    return ModelsPublic(data=data)
