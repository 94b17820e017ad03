"""Put finished outputs in the library: their files in the asset store, one asset row each.

Files are stored first (:meth:`AssetRecorder.store`); the rows are written by
:meth:`AssetRecorder.insert` inside a transaction the caller owns, so the use-case layer
records an operation's assets, its job row and its charge together. Nothing here knows
which operation produced the files: each brings its own metadata.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from imagestudio.assets.blobs import Blobs
from imagestudio.assets.store import StoredFile
from imagestudio.db.base import new_id, table_of
from imagestudio.db.models import Asset
from imagestudio.db.prepared import Prepared

_EXTENSIONS = {"jpeg": "jpg"}
_ASSET_COLUMNS = tuple(c.name for c in table_of(Asset).columns)
_TEXT_LIMITS = {"provider": 50, "model": 100, "template_id": 100, "platform": 50}
_LINEAGE = ("parent_id", "operation", "parameters")  # copied from metadata when present


class ImageFile(Protocol):
    """What the recorder needs of a finished output (``RenderedImage`` fits).

    ``metadata`` may carry ``prompt``, ``provider``, ``model``, ``seed``, ``template_id``,
    ``platform`` and the lineage ``parent_id``, ``operation``, ``parameters``, copied to
    the asset row; a video's also ``duration_ms`` and ``codec``, and the file a ``poster``
    attribute (JPEG bytes), stored beside it.
    """

    @property
    def data(self) -> bytes: ...
    @property
    def media_type(self) -> str: ...
    @property
    def extension(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def metadata(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RecordedAsset:
    id: str
    file_key: str
    sha256: str
    media_type: str


@dataclass(frozen=True)
class NewAsset:
    """An asset row to insert: one stored output of job ``job_id``, unit ``index``."""

    row: dict[str, Any]

    @property
    def recorded(self) -> RecordedAsset:
        row = self.row
        return RecordedAsset(row["id"], row["file_key"], row["sha256"], row["media_type"])


class AssetRecorder:
    def __init__(self, blobs: Blobs) -> None:
        self._blobs = blobs
        self._insert = Prepared(insert(table_of(Asset)), _ASSET_COLUMNS)

    async def store(self, files: Sequence[ImageFile]) -> list[StoredFile | BaseException]:
        """Claim and store every file (concurrently); a file that could not be stored gives
        its error. Its rows must be inserted within the blobs' grace period."""
        stored = await self._blobs.put_many([(f.data, _extension(f)) for f in files])
        posters = [(i, p) for i, f in enumerate(files)
                   if isinstance(p := getattr(f, "poster", None), bytes)]  # videos' frames
        frames = await self._blobs.put_many([(poster, "jpg") for _, poster in posters])
        for (i, _), frame in zip(posters, frames, strict=True):
            file = stored[i]
            if isinstance(file, StoredFile) and isinstance(frame, StoredFile):
                stored[i] = dataclasses.replace(file, poster_key=frame.key)
        return stored

    def insert(self, conn: Connection, assets: Sequence[NewAsset]) -> None:
        """Insert the rows, in the caller's transaction."""
        self._insert.run_many(conn, [a.row for a in assets])



def _extension(image: ImageFile) -> str:
    bare = image.extension.lstrip(".").lower()
    return _EXTENSIONS.get(bare, bare)


def new_asset(
    owner_id: str,
    job_id: str,
    index: int,
    file: StoredFile,
    *,
    media_type: str,
    width: int,
    height: int,
    metadata: dict[str, Any] | None,
    now: dt.datetime,
) -> NewAsset:
    """The asset row of unit ``index`` of job ``job_id``, stored as ``file``."""
    meta = metadata or {}
    seed = meta.get("seed")
    row = {
        "id": new_id(),
        "owner_id": owner_id,
        "generation_id": job_id,
        "file_key": file.key,
        "sha256": file.sha256,
        "size_bytes": file.size,
        "media_type": media_type,
        "width": width,
        "height": height,
        "title": None,
        "prompt": meta.get("prompt"),
        "seed": seed if isinstance(seed, int) else None,
        "variation": index,
        "favourite": False,
        "created_at": now,
        "updated_at": now,
        "duration_ms": meta.get("duration_ms") if isinstance(meta.get("duration_ms"), int)
        else None,
        "codec": str(meta["codec"])[:20] if meta.get("codec") else None,
        "poster_key": file.poster_key,
        **{name: meta.get(name) for name in _TEXT_LIMITS},
        **{name: meta.get(name) for name in _LINEAGE},
        "focal_x": None,
        "focal_y": None,
    }
    return NewAsset(row)


def storable(asset: NewAsset) -> NewAsset:
    """``asset`` with its text cut to what every supported database accepts: no NUL or
    lone surrogate characters, strings within their column's length."""
    row = dict(asset.row)
    for name in ("prompt", *_TEXT_LIMITS):
        value = row.get(name)
        if isinstance(value, str):
            clean = value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
            limit = _TEXT_LIMITS.get(name)
            row[name] = clean[:limit] if limit else clean
    return NewAsset(row)
