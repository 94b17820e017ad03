"""UI-support routes (``/api/image-studio/ui``): what the browser page (:mod:`imagestudio.web`)
needs beyond the public API."""

from __future__ import annotations

import base64
import io

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import select

from imagestudio import __version__
from imagestudio.accounts.local import LOCAL_USER, LocalSessions
from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.routes import history
from imagestudio.api.schemas import PathId, StudioCreateRequest
from imagestudio.catalog.loader import Catalog
from imagestudio.db.models import Generation
from imagestudio.errors import NotFound
from imagestudio.generation import schemas as limits
from imagestudio.generation.resilience import ResilientGateway
from imagestudio.money import Money
from imagestudio.settings import Settings
from imagestudio.web.local_session import is_local_request, refuse
from imagestudio.web.schemas import (
    FeaturesPublic,
    GenerationPublic,
    LimitsPublic,
    LocalSessionPublic,
    NamedPublic,
    PromptPreviewPublic,
    ProviderStatePublic,
    ProviderStatusPublic,
    SessionPublic,
    StylePreviewPublic,
    StylePreviewsPublic,
    TierPublic,
    UiConfigPublic,
    UserInfoPublic,
)

PREFIX = "/api/image-studio/ui"
PREFLIGHT_PATH = "/api/image-studio/preflight"
USAGE_PATH = "/api/image-studio/usage"

_LIMITS = LimitsPublic(
    prompt_max_chars=limits.PROMPT_MAX_CHARS,
    negative_prompt_max_chars=limits.NEGATIVE_PROMPT_MAX_CHARS,
    overlay_text_max_chars=limits.OVERLAY_TEXT_MAX_CHARS,
    max_variations=limits.MAX_VARIATIONS,
    min_side=limits.MIN_SIDE,
    max_side=limits.MAX_SIDE,
    seed_max=limits.SEED_MAX,
)


def _has_route(app: FastAPI, path: str, method: str) -> bool:
    # The OpenAPI paths, not app.routes: newer FastAPI keeps included routers nested there.
    return method.lower() in app.openapi().get("paths", {}).get(path, {})


def build_router(settings: Settings | None = None) -> APIRouter:
    """The UI router; ``settings`` overrides the app's own (tests), else they are read live."""
    router = APIRouter(prefix=PREFIX, tags=["ui"])
    router.include_router(history.router)
    sessions = LocalSessions()
    previews: list[StylePreviewPublic] = []  # drawn once, on first use

    def single_user(state: StateDep) -> bool:
        return (settings or state.services.settings).single_user

    @router.get("/config", response_model=UiConfigPublic)
    async def config(request: Request, state: StateDep) -> UiConfigPublic:
        """Limits, optional features and whether a local session is offered (no auth)."""
        app: FastAPI = request.app
        return UiConfigPublic(
            version=__version__,
            single_user=single_user(state) and is_local_request(request, require_json=False),
            limits=_LIMITS,
            features=FeaturesPublic(
                preflight=_has_route(app, PREFLIGHT_PATH, "POST"),
                usage=_has_route(app, USAGE_PATH, "GET"),
            ),
        )

    @router.post(
        "/local-session", response_model=LocalSessionPublic, responses=error_responses(404)
    )
    async def local_session(request: Request, state: StateDep) -> LocalSessionPublic:
        """A key of the user 'local'; only in single-user mode and only from this machine."""
        if not single_user(state) or not is_local_request(request):
            raise refuse()
        plan = (settings or state.services.settings).single_user_plan
        key = await sessions.key(state.persistence.accounts, plan=plan)
        return LocalSessionPublic(key=key, user=UserInfoPublic(name=LOCAL_USER, plan="local"))

    @router.get("/session", response_model=SessionPublic, responses=error_responses(401))
    async def session(user: UserDep, state: StateDep) -> SessionPublic:
        """Who is signed in, plus the catalog labels the page shows."""
        catalog = state.services.catalog
        return SessionPublic(
            user=UserInfoPublic(name=user.user_name, plan=user.plan),
            local=single_user(state) and user.user_name == LOCAL_USER,
            platforms=[NamedPublic(id=p.id, name=p.name) for p in catalog.platforms.values()],
            styles=[NamedPublic(id=s.id, name=s.name) for s in catalog.styles.values()],
            quality_tiers=[
                TierPublic(id=tier, name=spec.name, description=spec.description)
                for tier, spec in catalog.tiers.items()
            ],
        )

    @router.post(
        "/prompt-preview",
        response_model=PromptPreviewPublic,
        responses=error_responses(401, 404, 422, 503),
    )
    async def prompt_preview(
        body: StudioCreateRequest, _user: UserDep, state: StateDep
    ) -> PromptPreviewPublic:
        """The prompt create would send for this body (enhancement applied), nothing spent."""
        plan = state.services.generation.plan(body)
        style = NamedPublic(id=plan.style.id, name=plan.style.name) if plan.style else None
        return PromptPreviewPublic(
            prompt=plan.prompt,
            enhanced=plan.enhanced_prompt is not None,
            style=style,
            model=plan.primary.model.id,
        )

    @router.get("/provider-status", response_model=ProviderStatusPublic,
                responses=error_responses(401))
    async def provider_status(_user: UserDep, state: StateDep) -> ProviderStatusPublic:
        """Which configured providers are cooling down after failures, and for how long."""
        return ProviderStatusPublic(providers=[
            provider_state(state.services.gateway, name)
            for name in sorted(state.services.available_providers)
        ])

    @router.get("/style-previews", response_model=StylePreviewsPublic,
                responses=error_responses(401))
    async def style_previews(_user: UserDep, state: StateDep) -> StylePreviewsPublic:
        """A small sample per style preset, drawn by the offline renderer (never fetched)."""
        if not previews:
            previews.extend(draw_style_previews(state.services.catalog))
        return StylePreviewsPublic(styles=previews)

    @router.get(
        "/generations/{generation_id}",
        response_model=GenerationPublic,
        responses=error_responses(401, 404),
    )
    async def generation(generation_id: PathId, user: UserDep, state: StateDep) -> GenerationPublic:
        """One of your past create requests, as recorded (for "generate again")."""
        query = select(Generation).where(
            Generation.id == generation_id, Generation.user_id == user.user_id
        )
        async with state.persistence.db.sessions() as db:
            row = await db.scalar(query)
        if row is None:
            raise NotFound(f"no generation {generation_id!r}", field="generation_id")
        return GenerationPublic(
            id=row.id,
            status=row.status,
            request=row.request,
            provider=row.provider,
            model=row.model,
            template_id=row.template_id,
            num_requested=row.num_requested,
            num_succeeded=row.num_succeeded,
            warnings=row.warnings,
            errors=row.errors,
            quote=Money.of(row.quote_micros),
            cost=Money.of(row.cost_micros),
            created_at=row.created_at,
        )

    return router


def provider_state(gateway: object, name: str) -> ProviderStatePublic:
    """``name``'s circuit as the gateway sees it (always ok for other gateways)."""
    if not isinstance(gateway, ResilientGateway):
        return ProviderStatePublic(id=name, state="ok", retry_in_s=0.0)
    try:
        breaker = gateway.breaker(name)
    except KeyError:
        return ProviderStatePublic(id=name, state="ok", retry_in_s=0.0)
    wait = round(breaker.remaining_s(), 1)
    if breaker.state == "open" and wait > 0:
        return ProviderStatePublic(id=name, state="cooling_down", retry_in_s=wait)
    if breaker.state != "closed":
        return ProviderStatePublic(id=name, state="recovering", retry_in_s=0.0)
    return ProviderStatePublic(id=name, state="ok", retry_in_s=0.0)


PREVIEW_SIDE = 96


def draw_style_previews(catalog: Catalog) -> list[StylePreviewPublic]:
    """One PNG per style preset from the offline renderer, as data: URLs."""
    from imagestudio.render.renderer import DraftRenderer

    renderer = DraftRenderer(label=False)
    out = []
    for style in catalog.styles.values():
        image = renderer.render(f"{style.name}, {style.suffix}", 1, PREVIEW_SIDE, PREVIEW_SIDE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        data = base64.b64encode(buffer.getvalue()).decode()
        out.append(StylePreviewPublic(
            id=style.id, name=style.name, image=f"data:image/png;base64,{data}"
        ))
    return out
