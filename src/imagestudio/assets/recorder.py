"""Persist a finished generation: its files, one ``generations`` row and one asset row per
image, written in a single transaction after the files are safely stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Connection

from imagestudio.assets.store import AssetStore
from imagestudio.db.base import new_id, table_of, utcnow
from imagestudio.db.models import Asset, Generation
from imagestudio.db.prepared import Prepared
from imagestudio.db.session import Database
from imagestudio.generation.schemas import CreateRequest, CreateResult

_EXTENSIONS = {"jpeg": "jpg"}
_GENERATION_COLUMNS = tuple(c.name for c in table_of(Generation).columns)
_OUTCOME_COLUMNS = (
    "status", "provider", "model", "template_id", "num_requested", "num_succeeded",
    "warnings", "errors", "quote_micros", "cost_micros",
)
_ASSET_COLUMNS = tuple(c.name for c in table_of(Asset).columns)


class ImageFile(Protocol):
    """What the recorder needs of a rendered image (``RenderedImage`` fits)."""

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


AlsoWork = Callable[[Connection, str, list["RecordedAsset | None"]], None]
"""More work for the recording transaction: (connection, generation id, assets)."""


class GenerationRecorder:
    def __init__(self, db: Database, store: AssetStore) -> None:
        self._db = db
        self._store = store
        generations = table_of(Generation)
        self._insert_generation = Prepared(insert(generations), _GENERATION_COLUMNS)
        self._finish_generation = Prepared(
            update(generations)
            .where(generations.c.id == bindparam("gid"))
            .values({c: bindparam(c) for c in _OUTCOME_COLUMNS})
        )
        self._insert_assets = Prepared(insert(table_of(Asset)), _ASSET_COLUMNS)

    async def record(
        self,
        owner_id: str,
        request: CreateRequest,
        result: CreateResult,
        images: Sequence[ImageFile | None],
        *,
        generation_id: str | None = None,
        also: AlsoWork | None = None,
    ) -> tuple[str, list[RecordedAsset | None]]:
        """Store every image and write the rows; returns the generation id and, aligned
        with ``images``, the asset of each (None where the variation failed).

        ``generation_id`` names a row inserted earlier (status ``running``) to finish
        instead of inserting one; ``also`` runs in the same transaction (credit settlement).
        """
        stored = await asyncio.gather(
            *(self._put(image) for image in images if image is not None)
        )
        existing = generation_id is not None
        gid = generation_id or new_id()
        now = utcnow()
        rows: list[dict[str, Any]] = []
        recorded: list[RecordedAsset | None] = []
        files = iter(stored)
        for index, image in enumerate(images):
            if image is None:
                recorded.append(None)
                continue
            key, sha, size = next(files)
            row = _asset_row(owner_id, gid, image, key, sha, size, index, now)
            rows.append(row)
            recorded.append(RecordedAsset(row["id"], key, sha, image.media_type))
        outcome = _outcome(result)

        def write(conn: Connection) -> None:
            if existing:
                self._finish_generation.run(conn, {**outcome, "gid": gid})
            else:
                self._insert_generation.run(conn, {
                    "id": gid, "user_id": owner_id, "created_at": now,
                    "request": request.model_dump(mode="json", exclude_defaults=True),
                    **outcome,
                })
            self._insert_assets.run_many(conn, rows)
            if also is not None:
                also(conn, gid, recorded)

        await self._db.write(write)
        return gid, recorded

    async def _put(self, image: ImageFile) -> tuple[str, str, int]:
        bare = image.extension.lstrip(".").lower()
        extension = _EXTENSIONS.get(bare, bare)
        stored = await self._store.put(image.data, extension=extension)
        return stored.key, stored.sha256, stored.size


def _outcome(result: CreateResult) -> dict[str, Any]:
    """The ``generations`` columns a finished run sets (``_OUTCOME_COLUMNS``)."""
    return {
        "status": result.status,
        "provider": result.provider,
        "model": result.model,
        "template_id": result.template_id,
        "num_requested": result.num_requested,
        "num_succeeded": result.num_succeeded,
        "warnings": result.warnings,
        "errors": [
            {"index": v.index, **v.error.model_dump()} for v in result.variations if v.error
        ],
        "quote_micros": result.quote.micros,
        "cost_micros": result.cost.micros,
    }


def _asset_row(
    owner_id: str,
    generation_id: str,
    image: ImageFile,
    key: str,
    sha: str,
    size: int,
    index: int,
    now: Any,
) -> dict[str, Any]:
    meta = image.metadata
    seed = meta.get("seed")
    return {
        "id": new_id(),
        "owner_id": owner_id,
        "generation_id": generation_id,
        "file_key": key,
        "sha256": sha,
        "size_bytes": size,
        "media_type": image.media_type,
        "width": image.width,
        "height": image.height,
        "title": None,
        "prompt": meta.get("prompt"),
        "provider": meta.get("provider"),
        "model": meta.get("model"),
        "seed": seed if isinstance(seed, int) else None,
        "template_id": meta.get("template_id"),
        "platform": meta.get("platform"),
        "variation": index,
        "favourite": False,
        "created_at": now,
        "updated_at": now,
    }
