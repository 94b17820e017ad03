"""Read a stored outcome back for an idempotent replay: its assets and their files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from imagestudio.assets.recorder import ImageFile, RecordedAsset
from imagestudio.assets.store import AssetStore
from imagestudio.db.models import Asset
from imagestudio.db.session import Database


@dataclass(frozen=True)
class StoredOutput:
    """An output read back from the library (an :class:`ImageFile`)."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    seed: int | None
    sha256: str
    metadata: dict[str, Any] = field(default_factory=dict)


async def load_assets(
    db: Database, store: AssetStore, owner_id: str, asset_ids: Sequence[str | None]
) -> tuple[list[ImageFile | None], list[RecordedAsset | None]]:
    """(outputs, assets) aligned with ``asset_ids``; an asset deleted since (or never
    recorded) is an empty slot, never an error."""
    wanted = [i for i in asset_ids if i is not None]
    rows: dict[str, Any] = {}
    if wanted:
        query = select(Asset.id, Asset.file_key, Asset.sha256, Asset.media_type, Asset.width,
                       Asset.height, Asset.seed).where(
            Asset.owner_id == owner_id, Asset.id.in_(wanted)
        )
        async with db.engine.connect() as conn:
            rows = {row.id: row for row in await conn.execute(query)}
    outputs: list[ImageFile | None] = []
    assets: list[RecordedAsset | None] = []
    for asset_id in asset_ids:
        row = rows.get(asset_id) if asset_id is not None else None
        if row is None:
            outputs.append(None)
            assets.append(None)
            continue
        data = await store.read(row.file_key)
        outputs.append(StoredOutput(
            data=data, media_type=row.media_type, extension="." + row.file_key.rsplit(".", 1)[-1],
            width=row.width, height=row.height, seed=row.seed, sha256=row.sha256,
        ))
        assets.append(RecordedAsset(row.id, row.file_key, row.sha256, row.media_type))
    return outputs, assets
