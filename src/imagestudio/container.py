"""The composition root: every long-lived object is built here, once, from settings.

Nothing in the package builds clients, engines or catalogs at import time; entry points
(CLI, API app) call :func:`build_services` and close the result when they are done.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from imagestudio.accounts.service import AccountService
from imagestudio.assets.collections import CollectionService
from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.recorder import AssetRecorder
from imagestudio.assets.store import LocalAssetStore
from imagestudio.catalog import Catalog, load_catalog
from imagestudio.credits.periods import Clock
from imagestudio.credits.plans import PlanTable
from imagestudio.credits.wiring import Credits, build_credits
from imagestudio.db.session import Database
from imagestudio.generation.gateway import Gateway
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.generation.service import GenerationService
from imagestudio.imaging.engine import ImageEngine
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.providers._http import build_http_client
from imagestudio.providers.base import ImageProvider
from imagestudio.providers.instant import InstantProvider, with_instant
from imagestudio.providers.registry import build_providers
from imagestudio.settings import Settings
from imagestudio.studio.image_generation import ImageGeneration, image_generation
from imagestudio.studio.job_kinds import image_generation_job
from imagestudio.studio.jobs import JobRunner
from imagestudio.studio.sweeper import Sweeper
from imagestudio.studio.webhooks import Webhooks
from imagestudio.studio.workflow import Workflow
from imagestudio.vendors import VENDOR_IDS, VENDORS


@dataclass(frozen=True)
class Persistence:
    """The database, the asset store and the services over them (API, CLI)."""

    db: Database
    store: LocalAssetStore
    accounts: AccountService
    library: AssetLibrary
    collections: CollectionService
    credits: Credits
    workflow: Workflow
    sweeper: Sweeper

    async def aclose(self) -> None:
        await self.db.aclose()


def build_persistence(
    settings: Settings,
    *,
    clock: Clock | None = None,
    catalog: Catalog | None = None,
    plans: PlanTable | None = None,
) -> Persistence:
    """Open (lazily: no connection until first use) the database and the asset store.

    ``clock`` (default: the system's UTC time) decides credit periods; ``plans`` replaces
    the plan table named by settings; ``catalog`` cross-checks the plans' model ids.
    """
    db = Database.connect(settings.resolved_database_url)
    store = LocalAssetStore(settings.data_dir / "assets")
    credits = build_credits(db, settings, clock=clock, catalog=catalog, plans=plans)
    recorder = AssetRecorder(store)
    return Persistence(
        db=db,
        store=store,
        accounts=AccountService(db, plans=credits.plans.ids),
        library=AssetLibrary(db, store),
        collections=CollectionService(db),
        credits=credits,
        workflow=Workflow(credits.service, credits.reports, recorder, store),
        sweeper=Sweeper(
            credits.service,
            recorder,
            hold_timeout_s=settings.credits_hold_timeout_s,
            key_ttl_s=settings.idempotency_ttl_s,
            interval_s=settings.credits_sweep_interval_s,
        ),
    )


@dataclass(frozen=True)
class Services:
    settings: Settings
    catalog: Catalog
    providers: dict[str, ImageProvider]
    available_providers: frozenset[str]
    engine: ImageEngine
    gateway: Gateway
    generation: GenerationService
    image_generation: ImageGeneration
    http_clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    persistence: Persistence | None = None

    async def aclose(self) -> None:
        for client in self.http_clients.values():
            await client.aclose()
        if self.persistence is not None:
            await self.persistence.aclose()


def available(settings: Settings) -> frozenset[str]:
    """Providers that can be called now: the offline renderer, plus every keyed vendor."""
    keyed = {name for name in VENDOR_IDS if settings.provider(name).configured}
    return frozenset({"local", *keyed})


def build_services(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    http_clients: dict[str, httpx.AsyncClient] | None = None,
    providers: dict[str, ImageProvider] | None = None,
    rng: random.Random | None = None,
    persistence: Persistence | None = None,
    with_persistence: bool = True,
    instant_provider: bool = False,
    clock: Clock | None = None,
) -> Services:
    """Wire the studio. Tests inject ``http_clients`` (MockTransport) or whole ``providers``."""
    catalog = catalog or load_catalog()
    clients = (
        http_clients
        if http_clients is not None
        else {
            name: build_http_client(
                settings.provider(name), allow_network=settings.allow_provider_requests
            )
            for name in VENDOR_IDS
        }
    )
    providers = providers if providers is not None else build_providers(settings, clients)
    ready = available(settings) & set(providers) if providers else available(settings)
    if instant_provider:  # benchmark source: no latency, exact size (see providers/instant.py)
        catalog = with_instant(catalog)
        providers = {**providers, InstantProvider.name: InstantProvider()}
        ready = ready | {InstantProvider.name}
    gateway = ResilientGateway(
        providers,
        policy=RetryPolicy.from_settings(settings),
        limits={name: settings.provider(name).max_concurrency for name in VENDOR_IDS},
    )
    engine = PillowEngine()
    hints = {vendor.id: f"set {vendor.key_env}" for vendor in VENDORS.values()}
    generation = GenerationService(
        catalog,
        gateway,
        engine,
        available_providers=ready,
        provider_hints=hints,
        max_concurrency=settings.max_concurrent_variations,
        rng=rng,
    )
    return Services(
        settings=settings,
        catalog=catalog,
        providers=providers,
        available_providers=ready,
        engine=engine,
        gateway=gateway,
        generation=generation,
        image_generation=image_generation(generation),
        http_clients=clients,
        persistence=persistence
        or (
            build_persistence(settings, clock=clock, catalog=catalog)
            if with_persistence
            else None
        ),
    )


def build_webhooks(settings: Settings, persistence: Persistence) -> Webhooks:
    credits = persistence.credits.service
    return Webhooks(credits.db, credits.clock, development=settings.webhook_development)


def build_jobs(
    services: Services, persistence: Persistence, webhooks: Webhooks | None = None
) -> JobRunner:
    """The in-process job runner over ``persistence`` for every operation kind served."""
    kind = image_generation_job(services.image_generation)
    return JobRunner(
        persistence.workflow,
        persistence.credits.service,
        {kind.name: kind},
        concurrency=services.settings.job_concurrency,
        webhooks=webhooks,
    )
