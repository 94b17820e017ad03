"""The asset library (``/api/image-studio/assets``) and signed file downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse, StreamingResponse

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.downloads import NOSNIFF, send_file, send_object, zip_entry
from imagestudio.api.errors import error_responses
from imagestudio.api.schemas import MAX_QUERY_INT, PathId
from imagestudio.assets.library import to_public
from imagestudio.assets.schemas import (
    AssetPublic,
    AssetQuery,
    AssetsPublic,
    AssetUpdate,
    ExportRequest,
)
from imagestudio.assets.store import LocalAssetStore
from imagestudio.assets.zipstream import entry_name, zip_chunks
from imagestudio.db.models import Asset
from imagestudio.errors import InvalidRequest, NotFound, PayloadTooLarge
from imagestudio.validation import StorableText

router = APIRouter(prefix="/api/image-studio", tags=["assets"])
_OWNED = error_responses(401, 404, 422)
_PRIVATE_CACHE = "private, max-age=3600"
_CONTENT_REDIRECT_S = 300  # an authenticated download's presigned URL lives this long


def _public(state: StateDep, http: Request, asset: Asset) -> AssetPublic:
    return to_public(asset, state.file_url(http, asset.id, asset.file_key))


@router.get("/assets", response_model=AssetsPublic, responses=error_responses(401, 404, 422))
async def list_assets(
    query: Annotated[AssetQuery, Query()], http: Request, user: UserDep, state: StateDep
) -> AssetsPublic:
    """List your assets: filters, word search, sorting and cursor pagination."""
    rows, cursor = await state.persistence.library.page(user.user_id, query)
    return AssetsPublic(items=[_public(state, http, a) for a in rows], next_cursor=cursor)


@router.post(
    "/assets", response_model=AssetPublic, status_code=201,
    responses=error_responses(401, 413, 422),
)
async def upload_asset(
    http: Request,
    user: UserDep,
    state: StateDep,
    file: Annotated[UploadFile | None, File(description="PNG, JPEG, WebP or GIF image.")] = None,
    image_url: Annotated[str | None, Form(
        min_length=1, max_length=2000,
        description="Or an image for the server to fetch (a host on its "
                    "IMAGESTUDIO_IMAGE_URL_HOSTS list, public addresses only)."),
    ] = None,
    title: Annotated[StorableText | None, Form(max_length=200)] = None,
    tags: Annotated[
        StorableText | None, Form(max_length=2000, description="Comma-separated.")
    ] = None,
) -> AssetPublic:
    """Upload an image into your library, or have it fetched from ``image_url`` (size
    and pixel count are capped either way)."""
    limit = state.server.max_upload_bytes
    tag_list = [t for t in (tags or "").split(",") if t.strip()]
    checked = AssetUpdate.model_validate({"tags": tag_list}).tags or []
    if (file is None) == (image_url is None):
        raise InvalidRequest("give one of file and image_url", field="file")
    if file is not None:
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"file is larger than {limit} bytes", field="file")
    else:
        assert image_url is not None
        data = await state.image_urls.fetch(image_url)
    asset = await state.persistence.library.upload(
        user.user_id, data, title=title, tags=checked,
        max_bytes=limit, max_pixels=state.server.max_upload_pixels,
    )
    return _public(state, http, asset)


@router.post("/assets/export", responses={
    200: {"content": {"application/zip": {}}, "description": "A ZIP of the files."},
    **error_responses(401, 404, 422),
})
async def export_assets(body: ExportRequest, user: UserDep, state: StateDep) -> StreamingResponse:
    """Download a selection of your assets as one streamed ZIP file."""
    assets = await state.persistence.library.owned(user.user_id, body.asset_ids)
    store = state.persistence.store
    entries: list[tuple[str, Path | bytes]] = []
    for i, a in enumerate(assets):
        name = entry_name(i + 1, a.title or a.prompt, a.id, a.file_key.rsplit(".", 1)[-1])
        entries.append((name, await zip_entry(store, a.file_key)))
    return StreamingResponse(
        zip_chunks(entries),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="assets.zip"', **NOSNIFF},
    )


@router.get("/assets/{asset_id}", response_model=AssetPublic, responses=_OWNED)
async def get_asset(asset_id: PathId, http: Request, user: UserDep, state: StateDep) -> AssetPublic:
    """One of your assets."""
    asset = await state.persistence.library.get(user.user_id, asset_id)
    return _public(state, http, asset)


@router.patch("/assets/{asset_id}", response_model=AssetPublic, responses=_OWNED)
async def update_asset(
    asset_id: PathId, body: AssetUpdate, http: Request, user: UserDep, state: StateDep
) -> AssetPublic:
    """Change an asset's title, tags or favourite flag."""
    asset = await state.persistence.library.update(user.user_id, asset_id, body)
    return _public(state, http, asset)


@router.delete("/assets/{asset_id}", status_code=204, responses=_OWNED)
async def delete_asset(asset_id: PathId, user: UserDep, state: StateDep) -> Response:
    """Delete an asset (its file goes when no other asset uses it)."""
    await state.persistence.library.delete(user.user_id, asset_id)
    return Response(status_code=204)


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_FILE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "video/mp4")
_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The asset's file: an image, or a video asset's MP4.",
          "content": {t: _BINARY for t in _FILE_TYPES}},
    206: {"description": "The requested byte range (`Range`).",
          "content": {t: _BINARY for t in _FILE_TYPES}},
    304: {"description": "Not modified (`If-None-Match` matched the ETag)."},
}


@router.get("/assets/{asset_id}/content", response_class=Response,
            responses={**_FILE_RESPONSES, **error_responses(401, 404, 416, 422)})
async def asset_content(
    asset_id: PathId, http: Request, user: UserDep, state: StateDep
) -> Response:
    """Download your asset's file (supports Range and If-None-Match)."""
    asset = await state.persistence.library.get(user.user_id, asset_id)
    return await _send(state, http, asset, _PRIVATE_CACHE, _CONTENT_REDIRECT_S)


@router.get("/files/{name}", response_class=Response,
            responses={**_FILE_RESPONSES, **error_responses(403, 404, 416, 422)})
async def signed_file(
    name: PathId,
    http: Request,
    state: StateDep,
    expires: Annotated[int, Query(ge=0, le=MAX_QUERY_INT)],
    signature: Annotated[StorableText, Query(min_length=8, max_length=100)],
) -> Response:
    """Download a file through a signed, expiring link (no Authorization header)."""
    asset_id, _, extension = name.partition(".")
    remaining = state.signer.verify(asset_id, expires, signature)
    asset = await state.persistence.library.get_unscoped(asset_id)
    if not asset.file_key.endswith("." + extension):
        raise NotFound("no such file", field="name")
    cache_control = f"private, max-age={min(remaining, 86400)}, immutable"
    return await _send(state, http, asset, cache_control, remaining)


async def _send(
    state: StateDep, http: Request, asset: Asset, cache_control: str, valid_s: int
) -> Response:
    """The file, from the local store, streamed from a bucket, or (``storage_downloads``
    = redirect) a 307 to a presigned URL expiring with the link (``valid_s``)."""
    store = state.persistence.store
    extension = asset.file_key.rsplit(".", 1)[-1]
    filename = f"{asset.id}.{extension}"
    try:
        if isinstance(store, LocalAssetStore):
            return send_file(
                http, store.path(asset.file_key), sha256=asset.sha256,
                media_type=asset.media_type, cache_control=cache_control, filename=filename,
            )
        if not isinstance(store, S3Like):
            raise NotFound("the file of this asset is missing")
        if state.services.settings.storage_downloads == "redirect":
            url = await store.presign(asset.file_key, max(1, valid_s))
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
        size, chunks = await store.open_stream(asset.file_key)
    except (InvalidRequest, FileNotFoundError) as exc:
        raise NotFound("the file of this asset is missing") from exc
    return await send_object(
        http, chunks, size, sha256=asset.sha256, media_type=asset.media_type,
        cache_control=cache_control, filename=filename,
    )


@runtime_checkable
class S3Like(Protocol):
    """What a remote store offers downloads (``S3AssetStore``)."""

    async def presign(self, key: str, expires_s: int) -> str: ...
    async def open_stream(self, key: str) -> tuple[int, AsyncIterator[bytes]]: ...
