"""OpenAI-compatible image edits (``POST /v1/images/edits``, multipart as the official
SDK sends it): ``client.images.edit(model=…, image=…, prompt=…, mask=…)`` runs a studio
edit engine and answers OpenAI's ``ImagesResponse``; errors in OpenAI's shape.

``model`` names an edit engine (``stability/inpaint``, ``stability/erase`` …) or a
vendor model an engine serves (``gpt-image-1``). The mask follows OpenAI's convention
(transparent = edit); an opaque one is read white = edit. Several ``image[]``: the first
is edited, the rest are its reference images (as many as the engine's ``references``).
One image out per request (``n`` 1); ``size`` and the other GPT-only options are
accepted and reported as ``x-imagestudio-warning`` headers when the engine ignores them.
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from imagestudio.api.deps import IdempotencyKeyDep, StateDep, UserDep
from imagestudio.api.openai_errors import openai_error_responses
from imagestudio.api.openai_params import WARNING_HEADER, header_text
from imagestudio.api.outputs import InlineImages
from imagestudio.api.routes.openai_compat import ImageData, ImagesResponse
from imagestudio.edit.operations import EditOperation
from imagestudio.edit.schemas import EditRequest
from imagestudio.edit.service import Editor
from imagestudio.errors import InvalidRequest, PayloadTooLarge
from imagestudio.studio.edit import prepare_upload, store_upload

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
EDITS_PATH = "/v1/images/edits"
MAX_IMAGES = 16
_IGNORED = ("size", "quality", "background", "input_fidelity", "output_compression",
            "partial_images", "user", "moderation")
_KNOWN = frozenset({"model", "prompt", "n", "response_format", "output_format", "stream",
                    *_IGNORED})

_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["image", "prompt"],
    "properties": {
        "image": {"type": "string", "format": "binary",
                  "description": "The image (or image[] repeated: the first is edited, the "
                                 "rest are references, as many as the engine takes)."},
        "mask": {"type": "string", "format": "binary",
                 "description": "PNG the image's size; transparent (or white) = edit."},
        "prompt": {"type": "string", "maxLength": 32000},
        "model": {"type": "string", "description": "An edit engine or the model it serves."},
        "n": {"type": "integer", "minimum": 1, "maximum": 1},
        "response_format": {"type": "string", "enum": ["url", "b64_json"]},
        "output_format": {"type": "string", "enum": ["png", "jpeg", "webp"]},
    }}}}}}


def find_engine(editor: Editor, model: str) -> EditOperation:
    """The engine ``model`` names (its id, or the vendor model it serves)."""
    for operation in editor.operations.values():
        if operation.provider != "local" and model in (operation.id, operation.model):
            return operation
    names = sorted(o.id for o in editor.operations.values() if o.provider != "local")
    raise InvalidRequest(f"The model '{model}' does not exist or does not edit images; "
                         f"edit models: {', '.join(names)}", field="model")


async def _read(part: UploadFile, limit: int, field: str) -> bytes:
    data = await part.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{field}: larger than {limit} bytes", field=field)
    return data


@router.post(
    "/images/edits", response_model=ImagesResponse, response_model_exclude_none=True,
    openapi_extra=_BODY,
    responses=openai_error_responses(400, 401, 403, 404, 409, 413, 429, 500, 502, 503),
)
async def edit_image(
    http: Request, user: UserDep, state: StateDep, idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """Edit an image (OpenAI ``ImagesResponse``): base64 by default, as OpenAI answers."""
    limit = state.server.max_upload_bytes
    if not http.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidRequest("send multipart/form-data with image and prompt", field="image")
    async with http.form(max_files=MAX_IMAGES + 1, max_fields=40) as form:
        images = [v for k in ("image", "image[]") for v in form.getlist(k)
                  if isinstance(v, UploadFile)]
        masks = [v for v in form.getlist("mask") if isinstance(v, UploadFile)]
        fields = {k: v for k, v in form.items() if isinstance(v, str) and v != ""}
        unknown = sorted(set(form.keys()) - _KNOWN - {"image", "image[]", "mask"})
        if unknown:
            raise InvalidRequest(f"Unknown parameter: '{unknown[0]}'.", field=unknown[0])
        if not images:
            raise InvalidRequest("image is required", field="image")
        # the first is edited; the rest are its references (engines that take them)
        image, *references = [await _read(part, limit, "image") for part in images]
        mask = await _read(masks[0], limit, "mask") if masks else None
    return await _edit(http, user, state, fields, image, mask, idempotency_key, references)


async def _edit(
    http: Request, user: UserDep, state: StateDep, fields: dict[str, str], image: bytes,
    mask: bytes | None, idempotency_key: str | None, references: list[bytes],
) -> Response:
    if "prompt" not in fields:
        raise InvalidRequest("prompt is required", field="prompt")
    if fields.get("n", "1") != "1":
        raise InvalidRequest("n: this studio makes one edited image per request", field="n")
    if fields.get("stream") in ("true", "True", "1"):
        raise InvalidRequest("stream is not supported", field="stream")
    response_format = fields.get("response_format", "b64_json")
    if response_format not in ("url", "b64_json"):
        raise InvalidRequest(f"Invalid value: '{response_format}'.", field="response_format")
    editor = state.services.editor
    engine = find_engine(editor, fields.get("model", "gpt-image-1"))
    takes_prompt = engine.prompt != "none"
    request = EditRequest.model_validate({
        "op": engine.op, "engine": engine.id,
        "prompt": fields["prompt"] if takes_prompt else None,
        "format": fields.get("output_format"),
    })
    persistence = state.persistence
    call = await prepare_upload(persistence.library, persistence.store, user.user_id, request,
                                image, mask=mask, max_bytes=state.server.max_upload_bytes,
                                max_pixels=state.server.max_upload_pixels,
                                references=references)
    try:
        plan = editor.plan(call)  # refuse before storing the upload
    except InvalidRequest as exc:
        if exc.field == "references":  # OpenAI's name for them: more image[] parts
            raise InvalidRequest(exc.message, field="image", details=exc.details) from exc
        raise
    call = await store_upload(persistence.library, user.user_id, call, title=None,
                              max_bytes=state.server.max_upload_bytes,
                              max_pixels=state.server.max_upload_pixels)
    outcome = await persistence.workflow.execute(
        state.services.editing, user, call, idempotency_key=idempotency_key,
        scope="openai.images.edits",
    )
    result, output, asset = outcome.result, outcome.outputs[0], outcome.assets[0]
    inline = InlineImages()
    data = []
    if output is not None and asset is not None:
        data.append(ImageData(b64_json=inline.slot(output.data))
                    if response_format == "b64_json"
                    else ImageData(url=state.file_url(http, asset.id, asset.file_key)))
    fmt: Literal["png", "jpeg", "webp"] = result.format
    answer = inline.response(ImagesResponse(
        created=int(time.time()), data=data, output_format=fmt, quality="medium",
        size=f"{result.width}x{result.height}", safety_identifier=fields.get("user"),
    ), exclude_none=True)
    ignored = [f"{name} ignored: {engine.id} does not take it"
               for name in (*_IGNORED, "prompt") if name in fields and name != "user"
               and (name != "prompt" or not takes_prompt)]
    for warning in [*ignored, *plan.warnings, *result.warnings]:
        answer.headers.append(WARNING_HEADER, header_text(warning))
    return answer
