"""A user's asset library: list, read, update, delete and upload, always owner-scoped.

An asset of another user is indistinguishable from one that does not exist: both raise
:class:`NotFound`. A file is deleted when its last asset row goes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from imagestudio.assets import querying
from imagestudio.assets.probe import probe_image
from imagestudio.assets.schemas import AssetPublic, AssetQuery, AssetUpdate
from imagestudio.assets.store import AssetStore
from imagestudio.db.base import utcnow
from imagestudio.db.models import Asset, AssetTag, Collection
from imagestudio.db.session import Database
from imagestudio.errors import NotFound


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
    )


def _missing(asset_id: str) -> NotFound:
    return NotFound(f"no asset {asset_id!r}", field="asset_id")


class AssetLibrary:
    def __init__(self, db: Database, store: AssetStore) -> None:
        self._db = db
        self.store = store

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
        async with self._db.sessions() as session:
            asset = await session.get(Asset, asset_id)
            if asset is None:
                raise _missing(asset_id)
            return asset

    async def update(self, owner_id: str, asset_id: str, change: AssetUpdate) -> Asset:
        async with self._db.sessions() as session:
            asset = await _owned(session, owner_id, asset_id)
            fields = change.model_fields_set
            if "title" in fields:
                asset.title = change.title or None
            if "favourite" in fields and change.favourite is not None:
                asset.favourite = change.favourite
            if "tags" in fields:
                wanted = list(dict.fromkeys(change.tags or []))
                asset.tags = [AssetTag(asset_id=asset.id, tag=tag) for tag in wanted]
            asset.updated_at = utcnow()
            await session.commit()
            await session.refresh(asset, ["tags"])
            return asset

    async def delete(self, owner_id: str, asset_id: str) -> None:
        """Delete the record; remove its files (a video's poster too) when no other record
        references them."""
        async with self._db.sessions() as session:
            asset = await _owned(session, owner_id, asset_id)
            keys = [k for k in (asset.file_key, asset.poster_key) if k is not None]
            await session.delete(asset)
            await session.commit()
            unused = []
            for key in keys:
                others = await session.scalar(
                    select(func.count()).select_from(Asset)
                    .where(or_(Asset.file_key == key, Asset.poster_key == key))
                )
                if not others:
                    unused.append(key)
        for key in unused:
            await self.store.delete(key)

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
        info = probe_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
        stored = await self.store.put(data, extension=info.extension)
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
            await session.commit()
            await session.refresh(asset, ["tags"])
            return asset

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
    asset = await session.get(Asset, asset_id)
    if asset is None or asset.owner_id != owner_id:
        raise _missing(asset_id)
    return asset


async def _owned_collection(session: AsyncSession, owner_id: str, collection_id: str) -> None:
    owner = await session.scalar(select(Collection.owner_id).where(Collection.id == collection_id))
    if owner != owner_id:
        raise NotFound(f"no collection {collection_id!r}", field="collection")
