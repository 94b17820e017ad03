"""Serve any emulator as an ASGI app (Starlette), e.g. under uvicorn on loopback.

The app forwards every request to :meth:`Emulator.handle_async`. An armed ``timeout()``
becomes a request that never answers (until the client goes away), which is what a real
read timeout looks like from the client's side. ``GET /__emulator__/stats`` (no vendor
uses that path) reports the calls received and billed, with the billed calls' JSON bodies
(for tests that reconcile the vendor's bill with what the studio stored).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from imagestudio.emulators._base import Emulator

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# Hop-by-hop and length headers are the server's business, not the emulator's.
_DROPPED = {"content-length", "transfer-encoding", "connection", "content-encoding"}
HANG_POLL_S = 0.05
STATS_PATH = "/__emulator__/stats"
_BODY_LIMIT = 16 * 1024


def _json_or_none(request: httpx.Request) -> Any:
    if len(request.content) > _BODY_LIMIT:
        return None
    try:
        return json.loads(request.content)
    except ValueError:
        return None


def create_app(emulator: Emulator) -> Starlette:
    """A Starlette app answering every path and method through ``emulator``."""

    async def endpoint(request: Request) -> Response:
        forwarded = httpx.Request(
            request.method,
            str(request.url),
            headers=[(k, v) for k, v in request.headers.items() if k != "content-length"],
            content=await request.body(),
        )
        try:
            answer = await emulator.handle_async(forwarded)
        except httpx.TimeoutException:
            while not await request.is_disconnected():
                await asyncio.sleep(HANG_POLL_S)
            return Response(status_code=504)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in _DROPPED}
        return Response(answer.content, status_code=answer.status_code, headers=headers)

    async def stats(_: Request) -> Response:
        paid = [_json_or_none(r) for r in emulator.paid]
        return JSONResponse({"calls": len(emulator.calls), "paid": len(paid), "paid_bodies": paid})

    app = Starlette(routes=[
        Route(STATS_PATH, stats, methods=["GET"]),
        Route("/{path:path}", endpoint, methods=_METHODS),
    ])
    app.state.emulator = emulator
    return app
