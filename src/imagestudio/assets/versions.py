"""Version history: the assets an image was made from (its ancestors, by ``parent_id``)
and those made from it (its descendants), owner-scoped; and revert.

Revert never rewrites or deletes: it records a new asset that copies the chosen
version's file (the same stored blob) as a child of the current image, operation
``revert``, so the history stays linear and every version stays reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from imagestudio.db.base import utcnow
from imagestudio.db.models import Asset
from imagestudio.db.session import Database
from imagestudio.errors import InvalidRequest, NotFound

MAX_VERSIONS = 500  # a lineage longer than this is cut (and said so)


@dataclass(frozen=True)
class Versions:
    asset: Asset
    ancestors: list[Asset]  # the root first, the direct parent last
    descendants: list[Asset]  # breadth first, oldest first within a generation
    truncated: bool


async def versions(db: Database, owner_id: str, asset_id: str) -> Versions:
    async with db.sessions() as session:
        asset = await session.get(Asset, asset_id)
        if asset is None or asset.owner_id != owner_id:
            raise NotFound(f"no asset {asset_id!r}", field="asset_id")
        ancestors: list[Asset] = []
        seen = {asset.id}
        parent_id = asset.parent_id
        while parent_id is not None and parent_id not in seen and len(ancestors) < MAX_VERSIONS:
            parent = await session.get(Asset, parent_id)
            if parent is None or parent.owner_id != owner_id:
                break
            ancestors.append(parent)
            seen.add(parent.id)
            parent_id = parent.parent_id
        descendants: list[Asset] = []
        frontier = [asset.id]
        while frontier and len(descendants) < MAX_VERSIONS:
            rows = list(await session.scalars(
                select(Asset).where(Asset.owner_id == owner_id,
                                    Asset.parent_id.in_(frontier))
                .order_by(Asset.created_at, Asset.id)
            ))
            rows = [r for r in rows if r.id not in seen]
            seen.update(r.id for r in rows)
            descendants.extend(rows)
            frontier = [r.id for r in rows]
        truncated = len(descendants) >= MAX_VERSIONS or len(ancestors) >= MAX_VERSIONS
        return Versions(asset, ancestors[::-1], descendants[:MAX_VERSIONS], truncated)


async def revert(db: Database, owner_id: str, asset_id: str, to: str) -> Asset:
    """A new asset, child of ``asset_id``, copying version ``to`` (one of its lineage)."""
    history = await versions(db, owner_id, asset_id)
    lineage = {a.id: a for a in (*history.ancestors, *history.descendants)}
    chosen = lineage.get(to)
    if chosen is None:
        raise InvalidRequest(f"{to!r} is not a version of {asset_id!r}", field="to")
    async with db.sessions() as session:
        now = utcnow()
        copy = Asset(
            owner_id=owner_id, file_key=chosen.file_key, sha256=chosen.sha256,
            size_bytes=chosen.size_bytes, media_type=chosen.media_type, width=chosen.width,
            height=chosen.height, title=chosen.title, prompt=chosen.prompt,
            provider=chosen.provider, model=chosen.model, seed=chosen.seed,
            template_id=chosen.template_id, platform=chosen.platform,
            parent_id=asset_id, operation="revert", parameters={"to": to},
            created_at=now, updated_at=now,
        )
        session.add(copy)
        await session.commit()
        await session.refresh(copy, ["tags"])
        return copy
