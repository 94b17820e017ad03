"""OpenAI's error shape for everything under ``/v1``; the studio's own shape stays elsewhere.

OpenAI answers ``{"error": {"message", "type", "param", "code"}}`` (all four keys always
present; ``param`` and ``code`` may be null) with its own statuses: a request that breaks
a documented rule is a 400 ``invalid_request_error`` naming ``param``, a bad key a 401
``invalid_api_key``, an empty balance a 429 ``insufficient_quota``, a rate limit a 429
``rate_limit_exceeded``, a failure on our side a 5xx ``server_error``. The official SDK
maps those statuses to its exception classes and exposes ``type``/``param``/``code``.

:func:`install_openai_errors` wraps the studio's exception handlers (see
:mod:`imagestudio.api.errors`): a request whose path is under ``/v1`` is rendered here, any
other request by the studio's handler, unchanged.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from imagestudio.api.errors import invalid_request_from
from imagestudio.errors import (
    Conflict,
    Forbidden,
    GenerationFailed,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    StudioError,
    Unauthorized,
)
from imagestudio.providers.errors import ProviderContentRejected
from imagestudio.validation import invalid_request

log = logging.getLogger("imagestudio.api")

PREFIX = "/v1"
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
# Pydantic error types → OpenAI's parameter error codes.
_PARAM_CODES = {
    "missing": "missing_required_parameter",
    "extra_forbidden": "unknown_parameter",
    "json_invalid": "invalid_json",
    "int_type": "invalid_type", "int_parsing": "invalid_type", "string_type": "invalid_type",
    "bool_type": "invalid_type", "float_type": "invalid_type", "model_type": "invalid_type",
    "dict_type": "invalid_type", "list_type": "invalid_type",
}


class OpenAIErrorObject(BaseModel):
    """OpenAI's ``Error`` object (``openai.types.shared.ErrorObject`` in the SDK)."""

    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIErrorResponse(BaseModel):
    error: OpenAIErrorObject


def is_v1(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def openai_error(
    status: int, message: str, kind: str, *, param: str | None = None, code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def openai_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a ``/v1`` route: OpenAI's error shape under each status."""
    return {
        status: {"model": OpenAIErrorResponse, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


def render(exc: StudioError, *, code: str | None = None) -> JSONResponse:
    """``exc`` as OpenAI would answer it; ``code`` overrides the error code."""
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        headers["Retry-After"] = str(math.ceil(retry_after))
    if isinstance(exc, ProviderContentRejected) or _all_rejected(exc):
        return openai_error(400, exc.message, "invalid_request_error", code="moderation_blocked")
    if isinstance(exc, InvalidRequest):
        param = None if exc.field in (None, "request", "body") else exc.field
        return openai_error(400, exc.message, "invalid_request_error", param=param,
                            code=code or _invalid_code(exc))
    if isinstance(exc, Unauthorized):
        return openai_error(401, exc.message, "invalid_request_error", code="invalid_api_key",
                            headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, InsufficientCredits):
        # OpenAI's empty balance; a retry cannot help, so tell the SDK not to.
        return openai_error(429, exc.message, "insufficient_quota", code="insufficient_quota",
                            headers={"x-should-retry": "false"})
    if isinstance(exc, QuotaExceeded | RateLimited):
        return openai_error(429, exc.message, "requests", code="rate_limit_exceeded",
                            headers=headers)
    kind = _CLIENT_KINDS.get(type(exc)) or next(
        (k for cls, k in _CLIENT_KINDS.items() if isinstance(exc, cls)), None
    )
    if kind is not None:
        if isinstance(exc, NotFound) and exc.field == "model":
            code = "model_not_found"
        return openai_error(exc.http_status, exc.message, kind, param=exc.field,
                            code=code or exc.code, headers=headers)
    return openai_error(exc.http_status, exc.message, "server_error", code=exc.code,
                        headers=headers)


_CLIENT_KINDS: dict[type[StudioError], str] = {
    Forbidden: "permission_error",
    NotFound: "invalid_request_error",
    Conflict: "invalid_request_error",
    PayloadTooLarge: "invalid_request_error",
}


def _invalid_code(exc: InvalidRequest) -> str:
    if exc.field == "model" and "unknown model" in exc.message:
        return "model_not_found"
    return "invalid_value"


def _all_rejected(exc: StudioError) -> bool:
    """Every variation failed because the vendor's safety system refused the prompt."""
    if not isinstance(exc, GenerationFailed):
        return False
    codes = {v.get("code") for v in exc.details.get("variations", [])}
    return codes == {ProviderContentRejected.code}


def _from_validation(errors: list[dict[str, Any]]) -> JSONResponse:
    code = _PARAM_CODES.get(str(errors[0].get("type")), "invalid_value") if errors else None
    return render(invalid_request_from(errors), code=code)


def _from_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    if status in (404, 405):
        message = f"Invalid URL ({request.method} {request.url.path})"
    else:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return openai_error(status, message, kind, headers=dict(exc.headers or {}))


def _openai_response(request: Request, exc: Exception) -> JSONResponse | None:
    """OpenAI's answer to ``exc``; None for what the studio's handler should answer
    (a client disconnect; an unexpected crash is CatchAll's)."""
    if isinstance(exc, StudioError):
        return render(exc)
    if isinstance(exc, RequestValidationError):
        return _from_validation(list(exc.errors()))
    if isinstance(exc, ValidationError):
        return render(invalid_request(exc))
    if isinstance(exc, StarletteHTTPException):
        return _from_http(request, exc)
    return None


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _routed(studio: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if is_v1(request.url.path):
            ours = _openai_response(request, exc)
            if ours is not None:
                return ours
        answer = studio(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handler


def install_openai_errors(app: FastAPI) -> None:
    """Route every installed exception handler through the ``/v1`` check (call it after
    the studio's handlers). An unexpected crash under ``/v1`` is answered by
    :class:`imagestudio.api.middleware.CatchAll` in OpenAI's shape."""
    for key, studio in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _routed(studio)
