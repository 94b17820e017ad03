"""Named collections of a user's assets; every lookup is owner-scoped (404 otherwise)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imagestudio.assets.library import owned_assets
from imagestudio.assets.schemas import CollectionCreate, CollectionPublic, CollectionUpdate
from imagestudio.db.base import utcnow
from imagestudio.db.models import AssetCollection, Collection
from imagestudio.db.session import Database
from imagestudio.errors import Conflict, NotFound
from imagestudio.validation import is_storable


class CollectionService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, owner_id: str, data: CollectionCreate) -> CollectionPublic:
        async with self._db.sessions() as session:
            collection = Collection(owner_id=owner_id, name=data.name, description=data.description)
            session.add(collection)
            await _flush_unique(session, data.name)
            await session.commit()
            return _public(collection, 0)

    async def all(self, owner_id: str) -> list[CollectionPublic]:
        counts = (
            select(AssetCollection.collection_id, func.count().label("n"))
            .group_by(AssetCollection.collection_id)
            .subquery()
        )
        query = (
            select(Collection, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.collection_id == Collection.id)
            .where(Collection.owner_id == owner_id)
            .order_by(Collection.name)
        )
        async with self._db.sessions() as session:
            return [_public(c, n) for c, n in await session.execute(query)]

    async def get(self, owner_id: str, collection_id: str) -> CollectionPublic:
        async with self._db.sessions() as session:
            collection = await _owned(session, owner_id, collection_id)
            return _public(collection, await _count(session, collection_id))

    async def update(
        self, owner_id: str, collection_id: str, change: CollectionUpdate
    ) -> CollectionPublic:
        values: dict[str, object] = {"updated_at": utcnow()}
        if change.name is not None:
            values["name"] = change.name
        if change.description is not None:
            values["description"] = change.description
        async with self._db.sessions() as session:
            try:
                await _touch(session, owner_id, collection_id, values)
            except IntegrityError as exc:
                raise Conflict(f"a collection named {change.name!r} already exists",
                               field="name") from exc
            collection = await _owned(session, owner_id, collection_id)
            await session.commit()
            return _public(collection, await _count(session, collection_id))

    async def delete(self, owner_id: str, collection_id: str) -> None:
        """Delete the collection; its assets stay in the library."""
        async with self._db.sessions() as session:
            await session.delete(await _owned(session, owner_id, collection_id))
            await session.commit()

    async def add(
        self, owner_id: str, collection_id: str, asset_ids: Sequence[str]
    ) -> CollectionPublic:
        """Add assets (idempotent); NotFound if any asset is not the caller's."""
        async with self._db.sessions() as session:
            await _touch(session, owner_id, collection_id, {"updated_at": utcnow()})
            collection = await _owned(session, owner_id, collection_id)
            assets = await owned_assets(session, owner_id, asset_ids)
            present = set(
                await session.scalars(
                    select(AssetCollection.asset_id).where(
                        AssetCollection.collection_id == collection_id
                    )
                )
            )
            session.add_all(
                AssetCollection(collection_id=collection_id, asset_id=a.id)
                for a in assets
                if a.id not in present
            )
            try:
                await session.commit()
            except IntegrityError as exc:  # an asset deleted, or added, meanwhile
                raise Conflict("the collection changed while these assets were added; "
                               "try again", field="asset_ids") from exc
            return _public(collection, await _count(session, collection_id))

    async def remove(self, owner_id: str, collection_id: str, asset_id: str) -> None:
        async with self._db.sessions() as session:
            await _owned(session, owner_id, collection_id)
            result = await session.execute(
                delete(AssetCollection).where(
                    AssetCollection.collection_id == collection_id,
                    AssetCollection.asset_id == asset_id,
                )
            )
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"asset {asset_id!r} is not in this collection", field="asset_id")
            await session.commit()


def _public(collection: Collection, count: int) -> CollectionPublic:
    return CollectionPublic(
        id=collection.id,
        name=collection.name,
        description=collection.description,
        asset_count=count,
        created_at=collection.created_at,
        updated_at=collection.updated_at,
    )


async def _owned(session: AsyncSession, owner_id: str, collection_id: str) -> Collection:
    if not is_storable(collection_id):  # no row can have it
        raise NotFound(f"no collection {collection_id!r}", field="collection_id")
    collection = await session.get(Collection, collection_id)
    if collection is None or collection.owner_id != owner_id:
        raise NotFound(f"no collection {collection_id!r}", field="collection_id")
    return collection


async def _touch(
    session: AsyncSession, owner_id: str, collection_id: str, values: dict[str, object]
) -> None:
    """Update the owner's collection in one conditional statement, which also holds its row
    until the commit (NotFound if it does not exist, or was deleted by a concurrent request)."""
    changed = await session.execute(
        update(Collection)
        .where(Collection.id == collection_id, Collection.owner_id == owner_id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        raise NotFound(f"no collection {collection_id!r}", field="collection_id")


async def _count(session: AsyncSession, collection_id: str) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AssetCollection)
        .where(AssetCollection.collection_id == collection_id)
    )
    return int(count or 0)


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a collection named {name!r} already exists", field="name") from exc
