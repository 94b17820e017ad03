"""Edit as a studio operation: planner and runner over :class:`~imagestudio.edit.service.Editor`.

One ``image_edit`` against the plan's quota, priced from the edit operations' data
(local: free); the quote is held and, when the vendor delivers, captured; a failed vendor
call is released. The output is an asset linked to its source (parent id, operation
``edit``, parameters with ``op`` and ``engine``).
"""

from __future__ import annotations

import asyncio

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.probe import probe_image
from imagestudio.assets.store import AssetStore
from imagestudio.edit.masks import read_mask
from imagestudio.edit.schemas import EditCall, EditRequest, EditResult, SourceImage
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


async def prepare_edit(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: EditRequest, *,
    mask: bytes | None = None,
) -> EditCall:
    """The call for ``request`` on a library image (owned by ``owner_id``): its source
    read and its mask (``mask`` bytes, or ``mask_asset_id``) checked against it."""
    if request.asset_id is None:
        raise InvalidRequest("give asset_id, an uploaded image or image_url", field="asset_id")
    asset, source = await load_source(library, store, owner_id, request.asset_id,
                                      SourceImage)
    return await _with_mask(library, store, owner_id, request, source, asset.media_type, mask)


async def prepare_upload(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: EditRequest,
    image: bytes, *, mask: bytes | None, max_bytes: int, max_pixels: int,
) -> EditCall:
    """The call for an uploaded image, checked (caps first) but not yet stored: the
    surface plans it and stores it with :func:`store_upload` only when the plan holds."""
    if request.asset_id is not None:
        raise InvalidRequest("give asset_id or an uploaded image, not both", field="asset_id")
    info = await asyncio.to_thread(probe_image, image, max_bytes=max_bytes,
                                   max_pixels=max_pixels)
    source = SourceImage(asset_id="", sha256="", width=info.width, height=info.height,
                         data=info.data)
    return await _with_mask(library, store, owner_id, request, source, info.media_type, mask)


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
