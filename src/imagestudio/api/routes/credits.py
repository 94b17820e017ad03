"""Pre-flight, usage, ledger and plans (``/api/image-studio``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.schemas import StudioCreateRequest
from imagestudio.credits.reports import MAX_PAGE, plans_public
from imagestudio.credits.schemas import LedgerPublic, PlansPublic, UsagePublic
from imagestudio.studio import image_generation
from imagestudio.studio.image_generation import PreflightPublic
from imagestudio.validation import StorableText

router = APIRouter(prefix="/api/image-studio", tags=["credits"])


@router.post(
    "/preflight",
    response_model=PreflightPublic,
    responses=error_responses(401, 403, 404, 413, 422),
)
async def preflight(body: StudioCreateRequest, user: UserDep, state: StateDep) -> PreflightPublic:
    """What create would decide for this body now, and what would remain; nothing spent."""
    return await image_generation.preflight(
        state.persistence.workflow, state.services.image_generation, user, body
    )


@router.get("/usage", response_model=UsagePublic, responses=error_responses(401, 403))
async def usage(user: UserDep, state: StateDep) -> UsagePublic:
    """This period's usage per operation kind, spend, balance, limits and next reset."""
    return await state.persistence.credits.reports.usage(user.user_id, user.plan)


@router.get("/ledger", response_model=LedgerPublic, responses=error_responses(401, 422))
async def ledger(
    user: UserDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    before: Annotated[
        StorableText | None, Query(max_length=32, description="`next_before` of a page.")
    ] = None,
) -> LedgerPublic:
    """Your credit ledger, newest first (entry ids are opaque and yours alone)."""
    return await state.persistence.credits.reports.ledger(
        user.user_id, limit=limit, before=before, ids=state.ledger_ids
    )


@router.get("/plans", response_model=PlansPublic, responses=error_responses(401))
async def plans(_user: UserDep, state: StateDep) -> PlansPublic:
    """Every plan with its prices and limits (null: unlimited)."""
    return plans_public(state.persistence.credits.plans)
