"""Templates, providers, platform specs and aspect ratios (read-only catalog data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.schemas import (
    AspectRatioPublic,
    FormatPublic,
    PathId,
    PlatformSpecPublic,
    ProviderPublic,
    ProvidersPublic,
    TemplateHit,
    TemplatesPublic,
)
from imagestudio.catalog import queries
from imagestudio.catalog.schemas import Template
from imagestudio.errors import NotFound
from imagestudio.validation import StorableText

router = APIRouter(prefix="/api/image-studio", tags=["catalog"])
_ERRORS = error_responses(401, 422)
Text = Annotated[StorableText, Query(min_length=1, max_length=200)]
OptText = Annotated[StorableText | None, Query(max_length=100)]


def _hits(rows: list[tuple[Template, float | None]]) -> TemplatesPublic:
    hits = [TemplateHit(**dict(t), score=s) for t, s in rows]
    return TemplatesPublic(templates=hits, total=len(hits))


@router.get("/templates", response_model=TemplatesPublic, responses=_ERRORS)
async def templates(
    _user: UserDep, state: StateDep, platform: OptText = None, category: OptText = None
) -> TemplatesPublic:
    """List templates, optionally for one platform and/or category."""
    found = queries.filter_templates(state.services.catalog, platform=platform, category=category)
    return _hits([(t, None) for t in found])


@router.get("/templates/search", response_model=TemplatesPublic, responses=_ERRORS)
async def search_templates(_user: UserDep, state: StateDep, query: Text) -> TemplatesPublic:
    """Search templates by name, use case and description, best match first."""
    found = queries.search_templates(state.services.catalog, query)
    return _hits([(t, s) for t, s in found])


@router.get("/templates/recommend", response_model=TemplatesPublic, responses=_ERRORS)
async def recommend_templates(
    _user: UserDep, state: StateDep, use_case: Text, platform: OptText = None
) -> TemplatesPublic:
    """Recommend templates for a use case, optionally on one platform."""
    found = queries.recommend_templates(state.services.catalog, use_case, platform=platform)
    return _hits([(t, s) for t, s in found])


@router.get("/aspect-ratios", response_model=list[AspectRatioPublic], responses=_ERRORS)
async def aspect_ratios(_user: UserDep, state: StateDep) -> list[AspectRatioPublic]:
    """The aspect-ratio presets, labels computed from their pixels."""
    rows = queries.list_aspect_ratios(state.services.catalog)
    return [AspectRatioPublic(**row) for row in rows]


@router.get("/providers", response_model=ProvidersPublic, responses=_ERRORS)
async def providers(_user: UserDep, state: StateDep) -> ProvidersPublic:
    """Image providers, whether each is usable now, and their models' capabilities."""
    catalog = state.services.catalog
    ready = state.services.available_providers
    return ProvidersPublic(
        providers=[
            ProviderPublic(
                id=info.id,
                name=info.name,
                available=info.id in ready,
                offline=info.offline,
                key_env=info.key_env,
                docs=info.docs,
                models=catalog.models_of(info.id),
            )
            for info in catalog.providers.values()
        ]
    )


@router.get(
    "/platform-specs/{platform}",
    response_model=PlatformSpecPublic,
    responses=error_responses(401, 404),
)
async def platform_specs(platform: PathId, _user: UserDep, state: StateDep) -> PlatformSpecPublic:
    """Formats, file types and size limits of one platform (id or alias)."""
    found = state.services.catalog.find_platform(platform)
    if found is None:
        raise NotFound(f"unknown platform {platform!r}", field="platform")
    formats = [
        FormatPublic(
            id=f.id,
            name=f.name,
            width=f.width,
            height=f.height,
            aspect_ratio=f.ratio.label,
            aspect_ratio_exact=f.ratio.exact,
            safe_zone=f.safe_zone,
        )
        for f in found.formats
    ]
    return PlatformSpecPublic(
        id=found.id,
        name=found.name,
        aliases=found.aliases,
        formats=formats,
        file_types=found.file_types,
        max_file_bytes=found.max_file_bytes,
        notes=found.notes,
    )
