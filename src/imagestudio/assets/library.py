"""A user's asset library: list, read, update, delete and upload, always owner-scoped.

An asset of another user is indistinguishable from one that does not exist: both raise
:class:`NotFound`. Deleting an asset never deletes its file: the blob garbage collector
does, once no row has referenced it for the grace period (:mod:`imagestudio.assets.blobs`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from imagestudio.assets import querying
from imagestudio.assets.blobs import Blobs, touch_statement
from imagestudio.assets.probe import probe_image
from imagestudio.assets.schemas import AssetPublic, AssetQuery, AssetUpdate
from imagestudio.db.base import utcnow
from imagestudio.db.models import Asset, AssetTag, Collection
from imagestudio.db.session import Database
from imagestudio.errors import NotFound
from imagestudio.validation import is_storable


def to_public(asset: Asset, url: str | None = None) -> AssetPublic:
    return AssetPublic(
        id=asset.id,
        url=url,
        title=asset.title,
        prompt=asset.prompt,
        media_type=asset.media_type,
        width=asset.width,
        height=asset.height,
        size_bytes=asset.size_bytes,
        sha256=asset.sha256,
        provider=asset.provider,
        model=asset.model,
        seed=asset.seed,
        template_id=asset.template_id,
        platform=asset.platform,
        generation_id=asset.generation_id,
        duration_ms=asset.duration_ms,
        codec=asset.codec,
        has_poster=asset.poster_key is not None,
        tags=[t.tag for t in asset.tags],
        favourite=asset.favourite,
        created_at=asset.created_at,
        updated_at=asset.updated_at,
        parent_id=asset.parent_id,
        operation=asset.operation,
        parameters=asset.parameters,
        focal_point=(
            (asset.focal_x, asset.focal_y)
            if asset.focal_x is not None and asset.focal_y is not None else None
        ),
    )


def _missing(asset_id: str) -> NotFound:
    return NotFound(f"no asset {asset_id!r}", field="asset_id")


class AssetLibrary:
    def __init__(self, db: Database, blobs: Blobs) -> None:
        self._db = db
        self._blobs = blobs
        self.store = blobs.store

    async def page(self, owner_id: str, query: AssetQuery) -> tuple[list[Asset], str | None]:
        """One page of ``owner_id``'s assets and the cursor of the next page (or None)."""
        async with self._db.sessions() as session:
            if query.collection is not None:
                await _owned_collection(session, owner_id, query.collection)
            rows = list(await session.scalars(querying.page(owner_id, query)))
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        cursor = querying.encode_cursor(query, rows[-1]) if more and rows else None
        return rows, cursor

    async def get(self, owner_id: str, asset_id: str) -> Asset:
        async with self._db.sessions() as session:
            return await _owned(session, owner_id, asset_id)

    async def get_unscoped(self, asset_id: str) -> Asset:
        """For signed URLs only: the signature already proves the owner granted access."""
        if not is_storable(asset_id):
            raise _missing(asset_id)
        async with self._db.sessions() as session:
            asset = await session.get(Asset, asset_id)
            if asset is None:
                raise _missing(asset_id)
            return asset

    async def update(self, owner_id: str, asset_id: str, change: AssetUpdate) -> Asset:
        async with self._db.sessions() as session:
            # One conditional statement first: it holds the row until the commit, so a
            # concurrent delete waits instead of leaving this update nothing to write.
            touched = await session.execute(
                update(Asset)
                .where(Asset.id == asset_id, Asset.owner_id == owner_id)
                .values(updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not getattr(touched, "rowcount", 0):
                raise _missing(asset_id)
            asset = await _owned(session, owner_id, asset_id)
            fields = change.model_fields_set
            if "title" in fields:
                asset.title = change.title or None
            if "favourite" in fields and change.favourite is not None:
                asset.favourite = change.favourite
            if "tags" in fields:
                wanted = list(dict.fromkeys(change.tags or []))
                asset.tags = [AssetTag(asset_id=asset.id, tag=tag) for tag in wanted]
            await session.flush()
            await session.refresh(asset, ["tags"])  # before the commit lets a delete in
            await session.commit()
            return asset

    async def delete(self, owner_id: str, asset_id: str) -> None:
        """Delete the record and touch its blob (the garbage collector removes the file
        once no record has referenced it for the grace period)."""
        async with self._db.sessions() as session:
            asset = await _owned(session, owner_id, asset_id)
            await session.delete(asset)
            statement, rows = touch_statement(
                session.get_bind().dialect.name,
                [key for key in (asset.file_key, asset.poster_key) if key],
                self._blobs.clock(),
            )
            await session.execute(statement, rows)
            await session.commit()

    async def upload(
        self,
        owner_id: str,
        data: bytes,
        *,
        title: str | None,
        tags: Sequence[str],
        max_bytes: int,
        max_pixels: int,
    ) -> Asset:
        """Store an uploaded image after checking size, type and pixel count."""
        info = await asyncio.to_thread(
            probe_image, data, max_bytes=max_bytes, max_pixels=max_pixels
        )
        stored = await self._blobs.put(info.data, extension=info.extension)
        async with self._db.sessions() as session:
            asset = Asset(
                owner_id=owner_id,
                file_key=stored.key,
                sha256=stored.sha256,
                size_bytes=stored.size,
                media_type=info.media_type,
                width=info.width,
                height=info.height,
                title=title or None,
            )
            asset.tags = [AssetTag(tag=tag) for tag in dict.fromkeys(tags)]
            session.add(asset)
            await session.flush()
            await session.refresh(asset, ["tags"])  # before the commit lets a delete in
            await session.commit()
            return asset

    async def set_focal(self, owner_id: str, asset_id: str, x: float, y: float) -> None:
        """Remember ``(x, y)`` (fractions) as the asset's focal point."""
        async with self._db.sessions() as session:
            asset = await _owned(session, owner_id, asset_id)
            asset.focal_x, asset.focal_y = x, y
            await session.commit()

    async def of_job(self, owner_id: str, job_id: str) -> list[Asset]:
        """The assets one operation made (a set), in unit order; NotFound when none."""
        async with self._db.sessions() as session:
            rows = list(await session.scalars(
                select(Asset)
                .where(Asset.owner_id == owner_id, Asset.generation_id == job_id)
                .order_by(Asset.variation)
            ))
        if not rows:
            raise NotFound(f"no set {job_id!r}", field="set_id")
        return rows

    async def owned(self, owner_id: str, asset_ids: Sequence[str]) -> list[Asset]:
        """``asset_ids`` in the order given; NotFound names the first one not owned."""
        async with self._db.sessions() as session:
            return await owned_assets(session, owner_id, asset_ids)


async def owned_assets(
    session: AsyncSession, owner_id: str, asset_ids: Sequence[str]
) -> list[Asset]:
    wanted = list(dict.fromkeys(asset_ids))
    rows = await session.scalars(
        select(Asset).where(Asset.owner_id == owner_id, Asset.id.in_(wanted))
    )
    found = {a.id: a for a in rows}
    for asset_id in wanted:
        if asset_id not in found:
            raise _missing(asset_id)
    return [found[i] for i in wanted]


async def _owned(session: AsyncSession, owner_id: str, asset_id: str) -> Asset:
    if not is_storable(asset_id):  # no row can have it; PostgreSQL refuses to compare it
        raise _missing(asset_id)
    asset = await session.get(Asset, asset_id)
    if asset is None or asset.owner_id != owner_id:
        raise _missing(asset_id)
    return asset


async def _owned_collection(session: AsyncSession, owner_id: str, collection_id: str) -> None:
    owner = await session.scalar(select(Collection.owner_id).where(Collection.id == collection_id))
    if owner != owner_id:
        raise NotFound(f"no collection {collection_id!r}", field="collection")
