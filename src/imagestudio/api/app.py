"""The FastAPI application factory. Everything long-lived is built in the lifespan, once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Scope

from imagestudio import __version__
from imagestudio.accounts.auth import Authenticator
from imagestudio.api import observability
from imagestudio.api.config import ServerSettings, url_secret
from imagestudio.api.deps import ApiState
from imagestudio.api.errors import install_error_handlers
from imagestudio.api.idle_trim import TrimWhenIdle
from imagestudio.api.image_url import ImageUrlFetcher, UrlPolicy
from imagestudio.api.middleware import AllowOptions, BodySizeLimit, CatchAll
from imagestudio.api.observability import Observe
from imagestudio.api.openai_errors import install_openai_errors
from imagestudio.api.openapi import install_openapi
from imagestudio.api.routes import (
    assets,
    catalog,
    collections,
    credits,
    edit,
    health,
    jobs,
    openai_compat,
    openai_edits,
    optimize,
    studio,
    transform,
    ui,
    upscale,
    webhooks,
)
from imagestudio.api.signing import UrlSigner
from imagestudio.container import (
    Services,
    build_jobs,
    build_persistence,
    build_services,
    build_webhooks,
    uses_queue,
)
from imagestudio.credits.ledger_ids import LedgerIds
from imagestudio.db.migrate import prepare_database
from imagestudio.db.session import is_sqlite
from imagestudio.settings import Settings, get_settings
from imagestudio.studio.job_queue import conninfo, ensure_schema
from imagestudio.web import mount as mount_web_ui

log = logging.getLogger("imagestudio.api")
UPLOAD_PATH = "/api/image-studio/assets"
MULTIPART_OVERHEAD = 64 * 1024


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    server: ServerSettings | None = None,
) -> FastAPI:
    """The API app. ``services`` given by the caller are not closed by the app."""
    server = server or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = settings or (services.settings if services else get_settings())
        built = services or build_services(
            config, instant_provider=server.enable_instant_provider
        )
        try:
            if server.worker_threads:
                asyncio.get_running_loop().set_default_executor(
                    ThreadPoolExecutor(server.worker_threads, thread_name_prefix="studio")
                )
            persistence = built.persistence or build_persistence(config)
            url = config.resolved_database_url
            if is_sqlite(url):
                config.data_dir.mkdir(parents=True, exist_ok=True)
            auto = server.auto_migrate if server.auto_migrate is not None else is_sqlite(url)
            await prepare_database(persistence.db, auto_migrate=auto)
            secret = url_secret(server, config.data_dir)
            hooks = build_webhooks(config, persistence)
            runner = build_jobs(built, persistence, hooks)
            app.state.api = ApiState(
                services=built,
                persistence=persistence,
                server=server,
                auth=Authenticator(persistence.db, ttl_s=server.auth_cache_ttl_s),
                signer=UrlSigner(secret, ttl_s=server.signed_url_ttl_s),
                ledger_ids=LedgerIds(hmac.new(secret, b"ledger ids", hashlib.sha256).digest()),
                jobs=runner,
                webhooks=hooks,
                image_urls=ImageUrlFetcher(UrlPolicy(
                    UrlPolicy.parse_hosts(server.image_url_hosts),
                    max_bytes=server.max_upload_bytes, max_pixels=server.max_upload_pixels,
                    timeout_s=server.image_url_timeout_s,
                    development=server.image_url_development)),
            )
            if uses_queue(config):  # workers run jobs and the periodic tasks
                await ensure_schema(conninfo(url))
                async with runner.running():
                    yield
                return
            # Jobs first: they resume or settle their own holds before the sweep looks.
            async with runner.running(), hooks.running(), persistence.sweeper.running():
                yield
        finally:
            if services is None:
                await built.aclose()

    app = FastAPI(
        title="Image Studio",
        version=__version__,
        summary="Platform-ready marketing images from one brief.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_openai_errors(app)  # after: /v1 answers in OpenAI's error shape
    install_openapi(app)

    def limit_for(scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"] == UPLOAD_PATH:
            return server.max_upload_bytes + MULTIPART_OVERHEAD
        if scope["method"] == "POST" and scope["path"] in (transform.TRANSFORM_PATH,
                                                           edit.EDIT_PATH,
                                                           openai_edits.EDITS_PATH):
            return 2 * server.max_upload_bytes + MULTIPART_OVERHEAD  # two files
        return server.max_body_bytes

    app.add_middleware(BodySizeLimit, limit_for=limit_for)
    app.add_middleware(AllowOptions, routes=lambda: app.router.routes, documented=app.openapi)
    token = server.metrics_token.get_secret_value() if server.metrics_token else None
    if token is not None or server.log_format == "json":
        app.add_middleware(Observe, metrics=token is not None)
    observability.install(app, token)
    app.add_middleware(CatchAll)
    # Outermost: a request counts as in flight until its last byte is handed over.
    app.add_middleware(TrimWhenIdle)
    # The two create routes first: every request is matched against the routers in order.
    for module in (studio, openai_compat, openai_edits, transform, assets, health, credits, catalog,
                   collections, optimize, upscale, edit, jobs, webhooks):
        app.include_router(module.router)
    app.include_router(ui.build_router(settings))
    mount_web_ui(app)
    return app


def app_from_environment() -> FastAPI:
    """The app of one ``serve --workers N`` process: settings from the environment."""
    return create_app(get_settings(), server=ServerSettings())
