"""The composition root: every long-lived object is built here, once, from settings.

Nothing in the package builds clients, engines or catalogs at import time; entry points
(CLI, API app) call :func:`build_services` and close the result when they are done.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

from imagestudio.accounts.service import AccountService
from imagestudio.assets.blobs import BlobCollector, Blobs
from imagestudio.assets.collections import CollectionService
from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.recorder import AssetRecorder
from imagestudio.assets.store import AssetStore, LocalAssetStore
from imagestudio.catalog import Catalog, load_catalog
from imagestudio.credits.periods import Clock
from imagestudio.credits.plans import PlanTable
from imagestudio.credits.shared_rate import SharedRateLimiter
from imagestudio.credits.wiring import Credits, build_credits
from imagestudio.db.session import Database, is_sqlite
from imagestudio.edit.operations import load_operations
from imagestudio.edit.service import EditClient, Editor
from imagestudio.edit.vendors import GeminiEdits, OpenAIEdits, StabilityEdits, WaveSpeedEdits
from imagestudio.generation.gateway import Gateway
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.generation.service import GenerationService
from imagestudio.imaging.engine import ImageEngine
from imagestudio.imaging.engines import rendition_engine
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.optimize.service import OptimizerService
from imagestudio.optimize.targets import load_rules
from imagestudio.optimize.upscale import Upscaler, load_modes
from imagestudio.providers._http import build_http_client
from imagestudio.providers.base import ImageProvider
from imagestudio.providers.gemini_edit import GeminiEditor
from imagestudio.providers.instant import InstantProvider, with_instant
from imagestudio.providers.openai_edit import OpenAIEditor
from imagestudio.providers.registry import build_providers
from imagestudio.providers.stability_edit import StabilityEditor
from imagestudio.providers.stability_upscale import StabilityUpscaler
from imagestudio.providers.veo import VeoClient
from imagestudio.providers.wan import WanVideoClient
from imagestudio.providers.wavespeed_edit import WaveSpeedEditor
from imagestudio.providers.wavespeed_upscale import WaveSpeedUpscaler
from imagestudio.settings import Settings
from imagestudio.studio.edit import Editing, editing
from imagestudio.studio.image_generation import ImageGeneration, image_generation
from imagestudio.studio.job_kinds import (
    edit_job,
    image_generation_job,
    optimize_job,
    upscale_job,
    video_job,
)
from imagestudio.studio.job_queue import Housekeeping, build_app, conninfo, defer_in
from imagestudio.studio.jobs import JobRunner
from imagestudio.studio.optimize import Optimization, optimization
from imagestudio.studio.retention import Retention
from imagestudio.studio.sweeper import Sweeper
from imagestudio.studio.upscale import Upscaling, upscaling
from imagestudio.studio.video import Transform, transform
from imagestudio.studio.webhooks import Webhooks
from imagestudio.studio.workflow import Workflow
from imagestudio.vendors import VENDOR_IDS, VENDORS
from imagestudio.video.service import VideoService
from imagestudio.video.vendor import VideoClient

OPTIMIZE_MAX_PIXELS = 40_000_000  # a source the optimizer decodes (≈ 160 MB as RGBA)

if TYPE_CHECKING:
    import procrastinate


@dataclass(frozen=True)
class Persistence:
    """The database, the asset store and the services over them (API, CLI)."""

    db: Database
    store: AssetStore
    blobs: Blobs
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
    store = build_store(settings)
    credits = build_credits(db, settings, clock=clock, catalog=catalog, plans=plans,
                            rate_limiter=shared_rate_limiter(settings, db))
    blobs = Blobs(db, store, credits.service.clock)
    recorder = AssetRecorder(blobs)
    return Persistence(
        db=db,
        store=store,
        blobs=blobs,
        accounts=AccountService(db, plans=credits.plans.ids),
        library=AssetLibrary(db, blobs),
        collections=CollectionService(db),
        credits=credits,
        workflow=Workflow(credits.service, credits.reports, recorder, store),
        sweeper=Sweeper(
            credits.service,
            recorder,
            hold_timeout_s=settings.credits_hold_timeout_s,
            key_ttl_s=settings.idempotency_ttl_s,
            interval_s=settings.credits_sweep_interval_s,
            blobs=BlobCollector(blobs, grace_s=settings.blob_grace_s,
                                interval_s=settings.blob_gc_interval_s),
            retention=Retention(db, credits.service.clock,
                                job_events_days=settings.job_events_retention_days,
                                webhook_deliveries_days=settings.webhook_deliveries_retention_days,
                                interval_s=settings.retention_interval_s),
        ),
    )


def shared_rate_limiter(settings: Settings, db: Database) -> SharedRateLimiter | None:
    """The rate limit in PostgreSQL when several processes serve (None: in-process)."""
    wanted = settings.rate_limit_shared or uses_queue(settings)
    return SharedRateLimiter(db) if wanted and not is_sqlite(db.url) else None


def build_store(settings: Settings) -> AssetStore:
    """The asset store: a bucket when ``storage_url`` names one, else local files."""
    if settings.storage_url is None:
        return LocalAssetStore(settings.data_dir / "assets")
    from imagestudio.assets.s3 import S3AssetStore  # the optional 's3' extra

    secret = settings.s3_secret_access_key
    endpoint = settings.s3_endpoint_url
    return S3AssetStore.connect(
        settings.storage_url, endpoint=endpoint, region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        allow_http=bool(endpoint and endpoint.startswith("http://")),
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
    optimizer: OptimizerService
    optimization: Optimization
    upscaling: Upscaling
    transform: Transform
    editor: Editor
    editing: Editing
    http_clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    persistence: Persistence | None = None

    async def aclose(self) -> None:
        self.optimizer.close()
        for client in self.http_clients.values():
            await client.aclose()
        if self.persistence is not None:
            await self.persistence.aclose()


def available(settings: Settings) -> frozenset[str]:
    """Providers that can be called now: the offline renderer, plus every keyed vendor."""
    keyed = {name for name in VENDOR_IDS if settings.provider(name).configured}
    return frozenset({"local", *keyed})


def video_vendors(settings: Settings,
                  clients: dict[str, httpx.AsyncClient]) -> dict[str, VideoClient]:
    """The video clients of the keyed vendors (Veo on the Gemini API, WaveSpeed WAN)."""
    vendors: dict[str, VideoClient] = {}
    for name, make in (("gemini", VeoClient), ("wavespeed", WanVideoClient)):
        config = settings.provider(name)
        if config.configured and name in clients and config.api_key is not None:
            vendors[name] = make(clients[name], config.api_key, config.base_url)
    return vendors


def retired_models(catalog: Catalog, settings: Settings) -> frozenset[str]:
    """Ids of the models the configured vendor APIs no longer serve (by base-URL host)."""
    return frozenset(
        model.id
        for model in catalog.models.values()
        if model.retired is not None and model.provider in VENDOR_IDS
        and model.retired.applies_to(settings.provider(model.provider).base_url)
    )


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
        retired_models=retired_models(catalog, settings),
    )
    optimizer = OptimizerService(
        catalog, rendition_engine, load_rules(), max_pixels=OPTIMIZE_MAX_PIXELS
    )
    edit_clients: dict[str, EditClient] = {}
    if "stability" in clients:
        edit_clients["stability"] = StabilityEdits(StabilityEditor(
            # §1.6: polling more than once per 10 s may be rate-limited
            settings.provider("stability"), client=clients["stability"],
            poll_interval_s=10.0, poll_timeout_s=120.0))
    if "openai" in clients:
        edit_clients["openai"] = OpenAIEdits(OpenAIEditor(
            settings.provider("openai"), client=clients["openai"]))
    if "gemini" in clients:
        edit_clients["gemini"] = GeminiEdits(GeminiEditor(
            settings.provider("gemini"), client=clients["gemini"]))
    if "wavespeed" in clients:
        edit_clients["wavespeed"] = WaveSpeedEdits(WaveSpeedEditor(
            settings.provider("wavespeed"), client=clients["wavespeed"]))
    editor = Editor(catalog, load_operations(), max_source_pixels=OPTIMIZE_MAX_PIXELS,
                    clients=edit_clients, configured=frozenset(ready))
    upscaler = Upscaler(
        partial(rendition_engine, "auto", "upscale"), load_modes(),
        max_source_pixels=OPTIMIZE_MAX_PIXELS,
        # §1.6: polling more than once per 10 s may be rate-limited
        stability=StabilityUpscaler(settings.provider("stability"),
                                    client=clients["stability"], poll_interval_s=10.0,
                                    poll_timeout_s=120.0)
        if "stability" in clients else None,
        wavespeed=WaveSpeedUpscaler(settings.provider("wavespeed"),
                                    client=clients["wavespeed"])
        if "wavespeed" in clients else None,
        configured=frozenset(ready),
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
        optimizer=optimizer,
        optimization=optimization(optimizer, upscaler),
        upscaling=upscaling(upscaler),
        transform=transform(VideoService(
            catalog, vendors=video_vendors(settings, clients),
            poll_interval_s=settings.video_poll_interval_s,
        )),
        editor=editor,
        editing=editing(editor),
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
    kinds = [image_generation_job(services.image_generation), video_job(services.transform),
             edit_job(services.editing), upscale_job(services.upscaling),
             optimize_job(services.optimization)]
    queued = uses_queue(services.settings)
    return JobRunner(
        persistence.workflow,
        persistence.credits.service,
        {kind.name: kind for kind in kinds},
        concurrency=services.settings.job_concurrency,
        webhooks=webhooks,
        defer=defer_in if queued else None,
    )


def uses_queue(settings: Settings) -> bool:
    """Jobs go to Procrastinate workers (``imagestudio worker``), not the serve process."""
    return settings.job_queue == "procrastinate"


def build_queue_worker(
    services: Services, persistence: Persistence, client: httpx.AsyncClient
) -> procrastinate.App:
    """A Procrastinate worker's app (``imagestudio worker``): the job runner over
    ``persistence`` and the deployment's periodic tasks; ``client`` posts webhooks."""
    settings = services.settings
    hooks = build_webhooks(settings, persistence)
    chores = Housekeeping(persistence.sweeper, hooks, settings.job_stalled_s)
    return build_app(conninfo(settings.resolved_database_url),
                     build_jobs(services, persistence, hooks), chores, client)
