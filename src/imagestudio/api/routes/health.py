"""Liveness and readiness: no auth."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from imagestudio import __version__
from imagestudio.api.deps import StateDep
from imagestudio.api.errors import ServiceUnavailable, error_responses
from imagestudio.api.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/api/image-studio/health", response_model=HealthPublic,
            responses=error_responses(503))
async def health(state: StateDep) -> HealthPublic:
    """Service health: answers 200 when the database is reachable."""
    try:
        async with state.persistence.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        raise ServiceUnavailable("database is unavailable") from exc
    return HealthPublic(status="ok", version=__version__, database="ok")
