"""Edit as a studio operation: planner and runner over :class:`~imagestudio.edit.service.Editor`.

One ``image_edit`` against the plan's quota, priced from the edit operations' data
(local: free); the quote is held and, when the vendor delivers, captured; a failed vendor
call is released. The output is an asset linked to its source (parent id, operation
``edit``, parameters with ``op`` and ``engine``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.probe import probe_image
from imagestudio.assets.store import AssetStore
from imagestudio.edit.masks import read_mask
from imagestudio.edit.schemas import (
    MAX_REFERENCES,
    EditCall,
    EditRequest,
    EditResult,
    ReferenceImage,
    SourceImage,
)
from imagestudio.edit.service import Editor, EditPlan
from imagestudio.errors import InvalidRequest
from imagestudio.providers.errors import ProviderError
from imagestudio.studio.contracts import OperationModule, Priced, RunOutput, UnitListener
from imagestudio.studio.single_image import failed_with, load_source, priced_once, run_one

SCOPE = "image-studio.edit"
Editing = OperationModule[EditCall, EditPlan, EditResult]


class EditPlanner:
    def __init__(self, editor: Editor) -> None:
        self._editor = editor

    def plan(self, request: EditCall) -> Priced[EditPlan]:
        plan = self._editor.plan(request)
        operation = plan.operation
        source = request.source
        fields = request.request.model_dump(mode="json", exclude_defaults=True)
        fields.update(asset_id=source.asset_id, source_sha256=source.sha256)
        if request.references:  # uploads have no id: their digests tell two requests apart
            fields["reference_sha256"] = [r.sha256 for r in request.references]
        return priced_once(plan, "image_edit", price_micros=operation.price_micros,
                           provider=operation.provider, model=operation.model_id,
                           pixels=source.width * source.height, request=fields,
                           warnings=plan.warnings)


class EditRunner:
    def __init__(self, editor: Editor) -> None:
        self._editor = editor

    async def run(
        self, plan: EditPlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[EditResult]:
        operation = plan.operation

        def failed(exc: ProviderError) -> EditResult:
            return EditResult(
                source_asset_id=plan.call.source.asset_id, op=operation.op,
                engine=operation.id, provider=operation.provider, model=operation.model_id,
                cost_micros=0, width=0, height=0, format=plan.fmt, bytes=0, render_ms=0.0,
                warnings=list(plan.warnings), error=exc.message,
                resume_id=exc.details.get("resume_id"),
            )

        return await run_one(
            operation.provider == "local", lambda: self._editor.render(plan),
            lambda: self._editor.render_vendor(plan), failed,
            price_micros=operation.price_micros, provider=operation.provider,
            model=operation.model_id, on_unit=on_unit,
        )


@dataclass(frozen=True)
class References:
    """Reference images given as bytes (uploaded files, fetched URLs) and the caps they
    are decoded under (the upload caps, as the source's)."""

    files: Sequence[bytes] = ()
    max_bytes: int = 0
    max_pixels: int = 0


async def prepare_edit(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: EditRequest, *,
    mask: bytes | None = None, references: References = References(),
) -> EditCall:
    """The call for ``request`` on a library image (owned by ``owner_id``): its source
    read, its mask (``mask`` bytes, or ``mask_asset_id``) checked against it, and its
    reference images (``reference_asset_ids``, then ``references``) loaded and decoded."""
    if request.asset_id is None:
        raise InvalidRequest("give asset_id, an uploaded image or image_url", field="asset_id")
    asset, source = await load_source(library, store, owner_id, request.asset_id,
                                      SourceImage)
    call = await _with_mask(library, store, owner_id, request, source, asset.media_type, mask)
    return await _with_references(library, store, owner_id, call, references)


async def prepare_upload(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: EditRequest,
    image: bytes, *, mask: bytes | None, max_bytes: int, max_pixels: int,
    references: Sequence[bytes] = (),
) -> EditCall:
    """The call for an uploaded image, checked (caps first) but not yet stored: the
    surface plans it and stores it with :func:`store_upload` only when the plan holds."""
    if request.asset_id is not None:
        raise InvalidRequest("give asset_id or an uploaded image, not both", field="asset_id")
    info = await asyncio.to_thread(probe_image, image, max_bytes=max_bytes,
                                   max_pixels=max_pixels)
    source = SourceImage(asset_id="", sha256="", width=info.width, height=info.height,
                         data=info.data)
    call = await _with_mask(library, store, owner_id, request, source, info.media_type, mask)
    return await _with_references(library, store, owner_id, call,
                                  References(references, max_bytes, max_pixels))


_REFERENCE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


async def _with_references(
    library: AssetLibrary, store: AssetStore, owner_id: str, call: EditCall,
    given: References,
) -> EditCall:
    request = call.request
    count = len(request.reference_asset_ids) + len(given.files)
    if count > MAX_REFERENCES:
        raise InvalidRequest(f"at most {MAX_REFERENCES} reference images; {count} given",
                             field="references")
    found: list[ReferenceImage] = []
    for asset_id in request.reference_asset_ids:
        asset = await library.get(owner_id, asset_id)
        if asset.media_type not in _REFERENCE_TYPES:
            raise InvalidRequest(f"reference {asset_id} is {asset.media_type}, not an image",
                                 field="reference_asset_ids")
        found.append(ReferenceImage(
            asset_id=asset.id, sha256=asset.sha256, media_type=asset.media_type,
            width=asset.width, height=asset.height, data=await store.read(asset.file_key)))
    for data in given.files:
        info = await asyncio.to_thread(probe_image, data, max_bytes=given.max_bytes,
                                       max_pixels=given.max_pixels)
        found.append(ReferenceImage(
            sha256=hashlib.sha256(info.data).hexdigest(), media_type=info.media_type,
            width=info.width, height=info.height, data=info.data))
    return call.model_copy(update={"references": found}) if found else call


async def store_upload(library: AssetLibrary, owner_id: str, call: EditCall, *,
                       title: str | None, max_bytes: int, max_pixels: int) -> EditCall:
    """Store the planned upload as a library asset; the call with its id."""
    asset = await library.upload(owner_id, call.source.data, title=title, tags=[],
                                 max_bytes=max_bytes, max_pixels=max_pixels)
    source = call.source.model_copy(update={"asset_id": asset.id, "sha256": asset.sha256})
    request = call.request.model_copy(update={"asset_id": asset.id})
    return call.model_copy(update={"source": source, "request": request})


async def _with_mask(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: EditRequest,
    source: SourceImage, media_type: str, mask: bytes | None,
) -> EditCall:
    if mask is not None and request.mask_asset_id is not None:
        raise InvalidRequest("give mask or mask_asset_id, not both", field="mask")
    if request.mask_asset_id is not None:
        mask_asset = await library.get(owner_id, request.mask_asset_id)
        mask = await store.read(mask_asset.file_key)
    checked = None
    if mask is not None:
        checked = await asyncio.to_thread(read_mask, mask, source.width, source.height)
    return EditCall(request=request, source=source, source_media_type=media_type,
                    mask=checked.data if checked else None,
                    mask_empty=checked.empty if checked else False)


def editing(editor: Editor) -> Editing:
    return OperationModule(
        kind="image_edit", scope=SCOPE, planner=EditPlanner(editor),
        runner=EditRunner(editor), result_type=EditResult,
        failure=failed_with("edit", "engine"),
    )
