"""Prometheus ``/metrics`` (off unless ``IMAGESTUDIO_METRICS_TOKEN`` is set; scraped with
``Authorization: Bearer <token>``) and request ids for the JSON logs.

:class:`Observe` (installed only when metrics or JSON logs are on, so the default serving
path is unchanged) sets :data:`imagestudio.logs.request_id` (the caller's ``X-Request-ID``
or a new one, echoed back) and counts requests and their latency by route template.
``/metrics`` adds what the database knows for the whole deployment: jobs by state, the
queue's depth and oldest wait, credits captured and released.
"""

from __future__ import annotations

import datetime as dt
import hmac
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import text
from sqlalchemy.engine import Connection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imagestudio import logs
from imagestudio.metrics import REGISTRY

REQUESTS = "imagestudio_http_requests_total"
LATENCY = "imagestudio_http_request_duration_seconds"
_ID_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class Observe:
    def __init__(self, app: ASGIApp, *, metrics: bool) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = logs.request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            logs.request_id.reset(token)
            if self.metrics:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                REGISTRY.inc(REQUESTS, {"method": scope["method"], "route": route,
                                        "status": str(status)})
                REGISTRY.observe(LATENCY, {"route": route}, time.perf_counter() - started)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if 0 < len(given) <= 64 and set(given) <= _ID_OK:
                return str(given)
    return uuid.uuid4().hex


def _gauges(conn: Connection) -> list[tuple[str, dict[str, str], float]]:
    out: list[tuple[str, dict[str, str], float]] = []
    for state, count in conn.execute(text("SELECT state, count(*) FROM jobs GROUP BY state")):
        out.append(("imagestudio_jobs", {"state": state}, float(count)))
    depth = conn.execute(text("SELECT count(*), min(created_at) FROM jobs "
                              "WHERE state = 'queued'")).one()
    out.append(("imagestudio_queue_depth", {}, float(depth[0])))
    oldest = depth[1]
    if oldest is not None and not isinstance(oldest, str):
        stamp = (oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)).timestamp()
        out.append(("imagestudio_queue_oldest_wait_seconds", {},
                    max(0.0, time.time() - stamp)))
    captured, released = conn.execute(text(
        "SELECT coalesce(sum(captured_micros), 0), coalesce(sum(released_micros), 0) "
        "FROM credit_holds")).one()
    out.append(("imagestudio_credits_captured_micros", {}, float(captured)))
    out.append(("imagestudio_credits_released_micros", {}, float(released)))
    return out


def install(app: FastAPI, token: str | None) -> None:
    """``GET /metrics`` when ``token`` is set (401 without it)."""
    if token is None:
        return
    expected = f"Bearer {token}".encode()

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("metrics need the bearer token\n", status_code=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        state: Any = request.app.state.api
        async with state.persistence.db.engine.connect() as conn:
            gauges = await conn.run_sync(_gauges)
        return PlainTextResponse(REGISTRY.render(gauges),
                                 media_type="text/plain; version=0.0.4")
