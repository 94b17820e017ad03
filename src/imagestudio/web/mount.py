"""Attach the browser page to an API app: the page at ``/`` and its files at ``/static``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response

from imagestudio.web._static import STATIC_DIR, SecureStaticFiles, index_response

STATIC_PATH = "/static"


def mount(app: FastAPI) -> None:
    """Add the page to ``app``; call it after the API routers (``/`` must not shadow them)."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def index() -> Response:
        return index_response()

    app.mount(STATIC_PATH, SecureStaticFiles(directory=STATIC_DIR), name="static")
