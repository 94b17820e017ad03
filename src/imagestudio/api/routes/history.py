"""The Create Studio's history (``/api/image-studio/ui/history``): your recent create
requests with their settings and the images they left in your library, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.db.models import Asset, Generation
from imagestudio.money import Money
from imagestudio.web.schemas import HistoryAssetPublic, HistoryItemPublic, HistoryPublic

router = APIRouter()
MAX_ITEMS = 50


@router.get("/history", response_model=HistoryPublic, responses=error_responses(401, 422))
async def history(
    http: Request,
    user: UserDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = 12,
) -> HistoryPublic:
    """Your last ``limit`` create requests (settings, outcome, cost) and their images."""
    runs = (
        select(Generation)
        .where(Generation.user_id == user.user_id)
        .order_by(Generation.created_at.desc(), Generation.id.desc())
        .limit(limit)
    )
    async with state.persistence.db.sessions() as db:
        rows = list(await db.scalars(runs))
        ids = [row.id for row in rows]
        assets = list(await db.scalars(
            select(Asset)
            .where(Asset.owner_id == user.user_id, Asset.generation_id.in_(ids))
            .order_by(Asset.variation, Asset.created_at, Asset.id)
        )) if ids else []
    by_run: dict[str, list[HistoryAssetPublic]] = {}
    for asset in assets:
        by_run.setdefault(asset.generation_id or "", []).append(HistoryAssetPublic(
            id=asset.id, url=state.file_url(http, asset.id, asset.file_key),
            width=asset.width, height=asset.height, favourite=asset.favourite,
        ))
    return HistoryPublic(items=[
        HistoryItemPublic(
            id=row.id, status=row.status, request=row.request, provider=row.provider,
            model=row.model, template_id=row.template_id, num_requested=row.num_requested,
            num_succeeded=row.num_succeeded, warnings=row.warnings, errors=row.errors,
            quote=Money.of(row.quote_micros), cost=Money.of(row.cost_micros),
            created_at=row.created_at, assets=by_run.get(row.id, []),
        )
        for row in rows
    ])
