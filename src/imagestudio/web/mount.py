"""Attach the UI to an API app: the page at ``/``, its files at ``/static``, the UI routes."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

from imagestudio.settings import Settings
from imagestudio.web._static import STATIC_DIR, SecureStaticFiles, index_response
from imagestudio.web.routes import build_router

STATIC_PATH = "/static"


def mount(app: FastAPI, settings: Settings | None = None) -> None:
    """Add the UI to ``app``; call it after the API routers.

    ``settings`` defaults to the running app's own (those its services were built from).
    """
    app.include_router(build_router(settings))

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> Response:
        return index_response()

    app.mount(STATIC_PATH, SecureStaticFiles(directory=STATIC_DIR), name="static")
