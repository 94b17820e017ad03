"""Rebuild a stored generation outcome for an idempotent replay: the first result, its
assets and (for base64 answers) their files, read back from the library."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from imagestudio.assets.recorder import RecordedAsset
from imagestudio.assets.store import AssetStore
from imagestudio.db.models import Asset
from imagestudio.db.session import Database
from imagestudio.generation.postprocess import RenderedImage
from imagestudio.generation.schemas import CreateResult

Loaded = tuple[str, CreateResult, list[RenderedImage | None], list[RecordedAsset | None]]


async def load_outcome(
    db: Database, store: AssetStore, owner_id: str, response: dict[str, Any]
) -> Loaded:
    """(generation id, result, images, assets) as the first request returned them.

    An asset deleted since is returned as a failed-to-load slot (no URL), never an error.
    """
    result = CreateResult.model_validate(response["result"])
    ids: list[str | None] = list(response["asset_ids"])
    wanted = [i for i in ids if i is not None]
    rows: dict[str, Any] = {}
    if wanted:
        query = select(Asset.id, Asset.file_key, Asset.sha256, Asset.media_type, Asset.width,
                       Asset.height, Asset.seed).where(
            Asset.owner_id == owner_id, Asset.id.in_(wanted)
        )
        async with db.engine.connect() as conn:
            rows = {row.id: row for row in await conn.execute(query)}
    images: list[RenderedImage | None] = []
    assets: list[RecordedAsset | None] = []
    for asset_id in ids:
        row = rows.get(asset_id) if asset_id is not None else None
        if row is None:
            images.append(None)
            assets.append(None)
            continue
        data = await store.read(row.file_key)
        images.append(RenderedImage(
            data=data, media_type=row.media_type, extension="." + row.file_key.rsplit(".", 1)[-1],
            width=row.width, height=row.height, seed=row.seed, sha256=row.sha256, metadata={},
        ))
        assets.append(RecordedAsset(row.id, row.file_key, row.sha256, row.media_type))
    return response["generation_id"], result, images, assets
