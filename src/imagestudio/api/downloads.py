"""Serve a stored file: ETag (its SHA-256), 304 on If-None-Match, Range → 206, caching.

Range parsing is Starlette's; a malformed Range header is ignored (RFC 9110 allows it)
and an unsatisfiable one gets the JSON error shape with 416, like every other failure.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request, Response
from starlette.responses import (
    FileResponse,
    MalformedRangeHeader,
    RangeNotSatisfiable,
    StreamingResponse,
)
from starlette.types import Receive, Scope, Send

from imagestudio.api.errors import RangeNotSatisfiable as RangeError
from imagestudio.assets.store import AssetStore, LocalAssetStore
from imagestudio.errors import InvalidRequest, NotFound

# Sent with every file: browsers must not sniff a stored file into another type (an
# image with HTML inside rendered as a page), and the download name is plain ASCII.
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """``name`` reduced to ``[A-Za-z0-9._-]`` (no quotes, separators or controls), never
    empty or starting with a dot."""
    return _UNSAFE_NAME.sub("_", name).lstrip(".") or "file"


class _FileResponse(FileResponse):
    """A FileResponse that can be told to disregard the request's Range header."""

    ignore_range = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ignore_range:
            headers = [(k, v) for k, v in scope["headers"] if k != b"range"]
            scope = {**scope, "headers": headers}
        await super().__call__(scope, receive, send)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def send_file(
    request: Request,
    path: Path,
    *,
    sha256: str,
    media_type: str,
    cache_control: str,
    filename: str,
) -> Response:
    """The response for ``path``; NotFound when the file is gone."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise NotFound("the file of this asset is missing") from exc
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": cache_control, **NOSNIFF}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    response = _FileResponse(
        path,
        media_type=media_type,
        headers=headers,
        stat_result=stat,
        filename=safe_filename(filename),
        content_disposition_type="inline",
    )
    range_header = request.headers.get("range")
    if range_header is not None:
        try:
            FileResponse._parse_range_header(range_header, stat.st_size)
        except MalformedRangeHeader:
            response.ignore_range = True
        except RangeNotSatisfiable as exc:
            raise RangeError(stat.st_size) from exc
    return response


async def send_object(
    request: Request,
    content: AsyncIterator[bytes],
    size: int,
    *,
    sha256: str,
    media_type: str,
    cache_control: str,
    filename: str,
) -> Response:
    """The response for an object of a remote store, streamed through the API (no Range:
    the whole object is sent)."""
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": cache_control, **NOSNIFF}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(size)
    headers["Content-Disposition"] = f'inline; filename="{safe_filename(filename)}"'
    return StreamingResponse(content, media_type=media_type, headers=headers)


async def read_stored(store: AssetStore, key: str) -> bytes:
    """The bytes of a stored file; NotFound when it is gone."""
    try:
        return await store.read(key)
    except (InvalidRequest, FileNotFoundError) as exc:
        raise NotFound("the file of an asset is missing") from exc


async def zip_entry(store: AssetStore, key: str) -> Path | bytes:
    """A stored file as a ``zip_chunks`` entry: a local file is streamed from its path, a
    remote object is read first (export sizes are capped)."""
    if isinstance(store, LocalAssetStore):
        return store.path(key)
    return await read_stored(store, key)
