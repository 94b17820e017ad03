"""Serve the page and its files with a strict Content-Security-Policy.

Every page response forbids scripts, styles, fonts and connections to any origin but the
studio's own, so the UI cannot talk to another host even by mistake.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Revalidate on every load (ETag makes that cheap) so an upgrade is never half-applied.
    "Cache-Control": "no-cache",
}


def with_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


class SecureStaticFiles(StaticFiles):
    """StaticFiles whose every response carries :data:`SECURITY_HEADERS`."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        return with_security_headers(await super().get_response(path, scope))


def index_response() -> Response:
    return with_security_headers(
        FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
    )
