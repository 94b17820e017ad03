"""Edit Studio (``/api/image-studio/edit``) and version history (``/assets/{id}/versions``).

``POST /edit`` takes JSON (a library image by ``asset_id``, a library mask by
``mask_asset_id``) or multipart (``image`` and ``mask`` files plus the same fields as
form values). Everything is checked (upload caps, mask size, limits, price) before the
upload is stored or any money moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from imagestudio.api.deps import ApiState, IdempotencyKeyDep, PreferDep, StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.routes.jobs import ACCEPTED, submit, wants_async
from imagestudio.api.schemas import PathId
from imagestudio.assets.library import to_public
from imagestudio.assets.schemas import AssetPublic
from imagestudio.assets.versions import revert, versions
from imagestudio.credits.schemas import CreditCheckPublic
from imagestudio.edit.schemas import MAX_REFERENCES, EditRequest, EditResult
from imagestudio.errors import InvalidRequest, PayloadTooLarge
from imagestudio.studio.edit import References, prepare_edit, prepare_upload, store_upload

router = APIRouter(prefix="/api/image-studio", tags=["edit"])
EDIT_PATH = "/api/image-studio/edit"
_FILES = ("image", "mask", "reference")
_LISTS = ("reference_asset_ids", "reference_urls")


class EditResponse(EditResult):
    job_id: str
    asset_id: str | None = Field(description="The edited image in your library.")
    url: str | None = Field(description="Signed download URL.")


class OperationPublic(BaseModel):
    id: str
    op: str
    provider: str
    model: str
    label: str
    mask: str
    prompt: str
    references: int
    keeps_size: bool
    price_micros: int
    available: bool
    reason: str | None = Field(default=None, description="Why it is not available now.")
    input: dict[str, Any]


_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/EditRequest"}},
    "multipart/form-data": {"schema": {
        "type": "object", "description": "EditRequest's fields as form values, plus files.",
        "properties": {"image": {"type": "string", "format": "binary"},
                       "mask": {"type": "string", "format": "binary"},
                       "reference": {"type": "array", "description": "Reference images "
                                     "(repeat the part; instruct engines that take them).",
                                     "items": {"type": "string", "format": "binary"}},
                       "op": {"type": "string"}},
        "required": ["op"]}},
}}}


async def _read(part: UploadFile, limit: int, field: str) -> bytes:
    data = await part.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{field}: larger than {limit} bytes", field=field)
    return data


@dataclass
class _Body:
    """The request's fields and its files (multipart: ``image``, ``mask`` and repeated
    ``reference``)."""

    fields: Any
    image: bytes | None = None
    mask: bytes | None = None
    references: list[bytes] = dataclass_field(default_factory=list)


async def _read_body(http: Request, limit: int) -> _Body:
    """The multipart form's fields and files, or the JSON body's fields (no files)."""
    if http.headers.get("content-type", "").startswith("multipart/form-data"):
        async with http.form(max_files=2 + MAX_REFERENCES, max_fields=60) as form:
            files = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
            fields: dict[str, Any] = {k: v for k, v in form.items()
                                      if isinstance(v, str) and v != ""}
            for name in _LISTS:  # repeated form values
                values = [v for v in form.getlist(name) if isinstance(v, str) and v != ""]
                if values:
                    fields[name] = values
            body = _Body(fields)
            for name, part in files:
                if name not in _FILES or (name != "reference" and getattr(body, name)):
                    raise InvalidRequest(f"unexpected file {name!r}", field=name)
                data = await _read(part, limit, name)
                if name == "reference":
                    body.references.append(data)
                else:
                    setattr(body, name, data)
        return body
    try:
        return _Body(await http.json())
    except ValueError as exc:  # malformed JSON (or not UTF-8): the one 422 naming body
        raise InvalidRequest("body: request body is not valid JSON", field="body") from exc


@router.post(
    "/edit", response_model=EditResponse, openapi_extra=_BODY,
    responses={**ACCEPTED, **error_responses(401, 402, 403, 404, 409, 413, 422, 429, 502, 503)},
)
async def edit(
    http: Request, user: UserDep, state: StateDep, idempotency_key: IdempotencyKeyDep = None,
    prefer: PreferDep = None,
) -> EditResponse | Response:
    """Edit one image: local operations (crop, rotate, flip, resize, adjust, sharpen,
    blur, background) are free and instant; vendor operations are priced per engine
    (``GET /edit/operations``), held and charged like a create. Counts one
    ``image_edit``; the result is a new asset linked to its source. With ``Prefer:
    respond-async`` the edit becomes a job: 202 with the job and its ``Location``
    (everything is checked, and an upload stored, first); the ended job's ``result``
    is this answer's fields and its ``assets``."""
    persistence = state.persistence
    limit, pixels = state.server.max_upload_bytes, state.server.max_upload_pixels
    library, store = persistence.library, persistence.store
    body = await _read_body(http, limit)
    request = EditRequest.model_validate(body.fields)
    image = await _fetched(state, request, body.image)
    references = References(await _references(state, request, body), limit, pixels)
    if image is None:
        call = await prepare_edit(library, store, user.user_id, request, mask=body.mask,
                                  references=references)
    else:
        call = await prepare_upload(library, store, user.user_id, request, image,
                                    mask=body.mask, max_bytes=limit, max_pixels=pixels,
                                    references=references.files)
        state.services.editor.plan(call)  # refuse before storing the upload
        call = await store_upload(library, user.user_id, call, title=None,
                                  max_bytes=limit, max_pixels=pixels)
    if wants_async(prefer):
        return await submit(state, http, user, "image_edit", call, idempotency_key)
    outcome = await persistence.workflow.execute(
        state.services.editing, user, call, idempotency_key=idempotency_key
    )
    asset = outcome.assets[0] if outcome.assets else None
    return EditResponse(
        **dict(outcome.result), job_id=outcome.job_id, asset_id=asset.id if asset else None,
        url=state.file_url(http, asset.id, asset.file_key) if asset else None,
    )


async def _fetched(state: ApiState, request: EditRequest, image: bytes | None) -> bytes | None:
    """The uploaded image, or the one ``image_url`` names (fetched and validated)."""
    if request.image_url is None:
        return image
    if image is not None or request.asset_id is not None:
        raise InvalidRequest("give one of asset_id, image and image_url", field="image_url")
    return await state.image_urls.fetch(request.image_url)


async def _references(state: ApiState, request: EditRequest, body: _Body) -> list[bytes]:
    """The uploaded reference files, then those ``reference_urls`` name (fetched like
    ``image_url``: allow-listed hosts, public addresses, capped)."""
    fetched = [await state.image_urls.fetch(url, field="reference_urls")
               for url in request.reference_urls]
    return [*body.references, *fetched]


class EditPreflight(CreditCheckPublic):
    engine: str
    warnings: list[str]


@router.post("/edit/preflight", response_model=EditPreflight, openapi_extra=_BODY,
             responses=error_responses(401, 404, 413, 422, 503))
async def preflight(http: Request, user: UserDep, state: StateDep) -> EditPreflight:
    """What ``POST /edit`` would decide now for the same body (JSON or multipart: engine,
    price, quota and balance after, reasons it would be refused); nothing is spent, held
    or stored (an ``image_url`` is fetched, not kept). A mask (a ``mask`` file or
    ``mask_asset_id``) is checked against the image, so the Edit workspace can quote a
    mask it has drawn before anything is paid."""
    persistence = state.persistence
    limit, pixels = state.server.max_upload_bytes, state.server.max_upload_pixels
    read = await _read_body(http, limit)
    body = EditRequest.model_validate(read.fields)
    image = await _fetched(state, body, read.image)
    references = References(await _references(state, body, read), limit, pixels)
    if image is None:
        call = await prepare_edit(persistence.library, persistence.store, user.user_id, body,
                                  mask=read.mask, references=references)
    else:
        call = await prepare_upload(persistence.library, persistence.store, user.user_id,
                                    body, image, mask=read.mask, max_bytes=limit,
                                    max_pixels=pixels, references=references.files)
    priced, check = await persistence.workflow.check(state.services.editing, user, call)
    return EditPreflight(**dict(check), engine=priced.plan.operation.id,
                         warnings=list(priced.plan.warnings))


@router.get("/edit/operations", response_model=list[OperationPublic],
            responses=error_responses(401))
async def operations(_user: UserDep, state: StateDep) -> list[OperationPublic]:
    """Every edit engine with its price, input limits, mask and prompt needs, and
    whether it can run with the vendors configured here."""
    editor = state.services.editor
    found = []
    for op in editor.operations.values():
        reason = editor.availability(op)
        found.append(OperationPublic(
            id=op.id, op=op.op, provider=op.provider, model=op.model_id, label=op.label,
            mask=op.mask, prompt=op.prompt, references=op.references,
            keeps_size=op.keeps_size, price_micros=op.price_micros, available=reason is None,
            reason=reason, input=op.input.model_dump(),
        ))
    return found


class VersionsPublic(BaseModel):
    asset_id: str
    ancestors: list[AssetPublic] = Field(description="The original first, the parent last.")
    descendants: list[AssetPublic] = Field(description="What was made from it, oldest first.")
    truncated: bool


class RevertBody(BaseModel):
    to: str = Field(min_length=1, max_length=32, description="The version to restore.")


@router.get("/assets/{asset_id}/versions", response_model=VersionsPublic,
            responses=error_responses(401, 404, 422))
async def asset_versions(asset_id: PathId, http: Request, user: UserDep,
                         state: StateDep) -> VersionsPublic:
    """The image's version history: the assets it was made from and those made from it."""
    found = await versions(state.persistence.db, user.user_id, asset_id)

    def public(items: list[Any]) -> list[AssetPublic]:
        return [to_public(a, state.file_url(http, a.id, a.file_key)) for a in items]

    return VersionsPublic(asset_id=asset_id, ancestors=public(found.ancestors),
                          descendants=public(found.descendants), truncated=found.truncated)


@router.post("/assets/{asset_id}/revert", response_model=AssetPublic, status_code=201,
             responses=error_responses(401, 404, 422))
async def revert_asset(asset_id: PathId, body: RevertBody, http: Request, user: UserDep,
                       state: StateDep) -> AssetPublic:
    """Restore version ``to``: a new asset copying it, made from ``asset_id`` (free;
    nothing is deleted, so the history keeps every version)."""
    made = await revert(state.persistence.db, user.user_id, asset_id, body.to)
    return to_public(made, state.file_url(http, made.id, made.file_key))
