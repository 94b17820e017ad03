"""OpenAI-compatible image generation (``/v1``): the official SDK works unchanged.

Point ``openai.OpenAI(base_url="http://host:port/v1", api_key=<studio key>)`` at the
studio. ``model`` accepts any studio model id or alias (``local``, ``stability/core``,
``gpt-image-1`` …). Images are stored in the library like any other generation.
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from imagestudio.api.deps import ApiState, IdempotencyKeyDep, StateDep, UserDep, lean_post
from imagestudio.api.openai_errors import openai_error_responses
from imagestudio.api.openai_params import (
    QUALITY_NAMES,
    WARNING_HEADER,
    ImageGenerateRequest,
    header_text,
    to_create_request,
    warnings_for,
)
from imagestudio.api.outputs import InlineImages
from imagestudio.catalog.schemas import ModelEntry
from imagestudio.errors import NotFound
from imagestudio.generation.vendor_options import OptionedCreateRequest, options_for, requested

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


class ImageData(BaseModel):
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[ImageData]
    background: Literal["transparent", "opaque"] = "opaque"
    output_format: Literal["png", "jpeg", "webp"]
    quality: Literal["low", "medium", "high"]
    size: str
    safety_identifier: str | None = None


class ModelPublic(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str
    available: bool


class ModelsPublic(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelPublic]


@lean_post(
    router, "/images/generations",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    responses=openai_error_responses(400, 401, 403, 404, 409, 413, 429, 500, 502, 503, 504),
)
async def create_image(
    body: ImageGenerateRequest,
    http: Request,
    user: UserDep,
    state: StateDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """Create images (OpenAI ImagesResponse shape): base64 by default for OpenAI models (as
    OpenAI answers), signed URLs for the others; errors in OpenAI's shape (see
    docs/openai-compat.md)."""
    request = to_create_request(body)
    outcome = await state.persistence.workflow.execute(
        state.services.image_generation, user, request,
        idempotency_key=idempotency_key, scope="openai.images.generations",
    )
    result = outcome.result
    model = state.services.catalog.models[result.model]
    inline = (body.response_format or _default_format(model)) == "b64_json"
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
    sent = options_for(request, model)
    response = ImagesResponse(
        created=int(time.time()),
        data=data,
        background="transparent" if sent.get("background") == "transparent" else "opaque",
        output_format=request.output_format,
        quality=QUALITY_NAMES[result.quality],
        size=f"{result.target.width}x{result.target.height}",
        safety_identifier=body.end_user,
    )
    answer = images.response(response, exclude_none=True)
    for warning in warnings_for(body) + _unsent(request, sent, model.id) + result.warnings:
        answer.headers.append(WARNING_HEADER, header_text(warning))
    return answer


def _unsent(request: OptionedCreateRequest, sent: dict[str, object], model: str) -> list[str]:
    """Options that change the image but that the serving model does not take."""
    asked = requested(request)
    return [
        f"{name} ignored: {model} does not take it"
        for name in ("moderation", "output_compression")
        if name in asked and name not in sent and asked[name] != "auto"
    ]


def _default_format(model: ModelEntry) -> str:
    # OpenAI's GPT image models only ever answer with b64_json; clients written for
    # them read that field, so keep their default.
    return "b64_json" if model.provider == "openai" else "url"


def _model_public(name: str, model: ModelEntry, state: ApiState) -> ModelPublic:
    ready = state.services.available_providers
    usable = model.provider in ready and model.id not in state.services.generation.retired_models
    return ModelPublic(id=name, owned_by=model.provider, available=usable)


@router.get("/models", response_model=ModelsPublic, responses=openai_error_responses(401))
async def list_models(_user: UserDep, state: StateDep) -> ModelsPublic:
    """Every studio model id and alias usable as ``model``."""
    data = [
        _model_public(name, model, state)
        for model in state.services.catalog.models.values()
        for name in (model.id, *model.aliases)
    ]
    return ModelsPublic(data=data)


@router.get(
    "/models/{model_id:path}", response_model=ModelPublic,
    responses=openai_error_responses(401, 404),
)
async def retrieve_model(model_id: str, _user: UserDep, state: StateDep) -> ModelPublic:
    """One model by studio id, alias or vendor id (the SDK's ``models.retrieve``)."""
    model = state.services.catalog.find_model(model_id)
    if model is None:
        raise NotFound(f"The model '{model_id}' does not exist", field="model")
    return _model_public(model_id, model, state)
