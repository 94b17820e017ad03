"""Collections of your assets (``/api/image-studio/collections``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.schemas import PathId
from imagestudio.assets.schemas import (
    CollectionAssets,
    CollectionCreate,
    CollectionPublic,
    CollectionsPublic,
    CollectionUpdate,
)

router = APIRouter(prefix="/api/image-studio/collections", tags=["collections"])
_OWNED = error_responses(401, 404, 422)


@router.post("", response_model=CollectionPublic, status_code=201,
             responses=error_responses(401, 409, 422))
async def create_collection(
    body: CollectionCreate, user: UserDep, state: StateDep
) -> CollectionPublic:
    """Create a collection (names are unique per user)."""
    return await state.persistence.collections.create(user.user_id, body)


@router.get("", response_model=CollectionsPublic, responses=error_responses(401))
async def list_collections(user: UserDep, state: StateDep) -> CollectionsPublic:
    """Your collections with their asset counts."""
    return CollectionsPublic(items=await state.persistence.collections.all(user.user_id))


@router.get("/{collection_id}", response_model=CollectionPublic, responses=_OWNED)
async def get_collection(collection_id: PathId, user: UserDep, state: StateDep) -> CollectionPublic:
    """One of your collections."""
    return await state.persistence.collections.get(user.user_id, collection_id)


@router.patch("/{collection_id}", response_model=CollectionPublic,
              responses=error_responses(401, 404, 409, 422))
async def update_collection(
    collection_id: PathId, body: CollectionUpdate, user: UserDep, state: StateDep
) -> CollectionPublic:
    """Rename a collection or change its description."""
    return await state.persistence.collections.update(user.user_id, collection_id, body)


@router.delete("/{collection_id}", status_code=204, responses=_OWNED)
async def delete_collection(collection_id: PathId, user: UserDep, state: StateDep) -> Response:
    """Delete a collection; its assets stay in your library."""
    await state.persistence.collections.delete(user.user_id, collection_id)
    return Response(status_code=204)


@router.post("/{collection_id}/assets", response_model=CollectionPublic, responses=_OWNED)
async def add_to_collection(
    collection_id: PathId, body: CollectionAssets, user: UserDep, state: StateDep
) -> CollectionPublic:
    """Add your assets to a collection (already present ones are skipped)."""
    return await state.persistence.collections.add(user.user_id, collection_id, body.asset_ids)


@router.delete("/{collection_id}/assets/{asset_id}", status_code=204, responses=_OWNED)
async def remove_from_collection(
    collection_id: PathId, asset_id: PathId, user: UserDep, state: StateDep
) -> Response:
    """Remove an asset from a collection (the asset itself stays)."""
    await state.persistence.collections.remove(user.user_id, collection_id, asset_id)
    return Response(status_code=204)
