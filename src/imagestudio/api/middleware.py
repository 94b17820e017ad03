"""Refuse request bodies over a size limit with 413, before a handler reads them.

A declared ``Content-Length`` over the limit is refused at once, and one within it
needs no watching (the HTTP server never delivers more than the declared length); a
chunked body is counted as it streams and cut off when it crosses the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imagestudio.api.errors import error_response, log_unexpected
from imagestudio.api.openai_errors import SERVER_ERROR, is_v1, openai_error
from imagestudio.errors import PayloadTooLarge


class CatchAll:
    """Answer an unhandled exception with the bare 500 and keep the connection.

    Starlette's own last-resort handler re-raises after answering, and the HTTP server
    then closes the connection, so the client's next keep-alive request on it fails.
    Here the exception ends with the response; only one raised after the response has
    started (its body cut short) is passed on, since then closing is the only honest end.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            log_unexpected(scope.get("method", ""), scope.get("path", ""), exc)
            if started:
                raise
            if is_v1(scope["path"]):
                response = openai_error(500, SERVER_ERROR, "server_error")
            else:
                response = error_response(500, "internal_error", "internal server error")
            await response(scope, receive, send)


class BodySizeLimit:
    """``limit_for(scope)`` gives the byte limit of each request."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None:
            if declared > limit:
                await _too_large(limit, scope)(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        received = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; the app then sees a disconnect and its reply is dropped.
                    refused = True
                    if not started:
                        await _too_large(limit, scope)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


def _too_large(limit: int, scope: Scope) -> ASGIApp:
    message = f"request body is larger than {limit} bytes"
    if is_v1(scope["path"]):
        return openai_error(413, message, "invalid_request_error", code=PayloadTooLarge.code)
    return error_response(
        413,
        PayloadTooLarge.code,
        message,
        {"max_bytes": limit},
    )


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when there is none or the body is chunked (a
    ``Transfer-Encoding`` overrides ``Content-Length``, so the declaration binds nothing)."""
    declared = None
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                return None
    return declared


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class AllowOptions:
    """``OPTIONS`` answers 204 with ``Allow`` (RFC 9110 §9.3.7) for any path a route
    serves, 404 otherwise. No ``Access-Control-*`` headers: the API grants no cross-origin
    access (the web UI is served from the same origin), so browsers' preflights fail.

    A documented path answers the methods its OpenAPI path item documents, a literal
    template first (``/assets/export`` is its own resource, not an asset id); other paths
    (the web UI) the methods of the routes that serve them."""

    def __init__(self, app: ASGIApp, routes: Callable[[], Sequence[BaseRoute]],
                 documented: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self.routes = routes
        self.documented = documented
        self._templates: list[tuple[re.Pattern[str], list[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        allowed = self._documented_methods(scope["path"])
        if allowed is None:
            allowed = [method for method in _METHODS
                       if any(route.matches({**scope, "method": method})[0] == Match.FULL
                              for route in self.routes())]
        if allowed:
            allow = ", ".join([*allowed, "OPTIONS"])
            response: ASGIApp = Response(status_code=204, headers={"Allow": allow})
        else:
            response = error_response(404, "not_found", "Not Found")
        await response(scope, receive, send)

    def _documented_methods(self, path: str) -> list[str] | None:
        if self._templates is None:
            paths = self.documented().get("paths", {})
            ordered = sorted(paths, key=lambda t: t.count("{"))  # literal templates first
            self._templates = [
                (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)) + "$"),
                 [m for m in _METHODS if m.lower() in paths[t]])
                for t in ordered
            ]
        return next((methods for pattern, methods in self._templates if pattern.match(path)),
                    None)
