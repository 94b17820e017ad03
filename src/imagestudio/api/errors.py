"""The one place that renders failures as JSON: ``{"error": {"code", "message", "details"}}``.

StudioError subclasses carry their own status; request validation becomes a 422 naming
the field; HTTPException keeps its status; anything else is logged and answered as a
bare 500 that reveals nothing internal (:class:`imagestudio.api.middleware.CatchAll`).
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from imagestudio.errors import InvalidRequest, StudioError
from imagestudio.validation import describe_error, field_of, invalid_request

log = logging.getLogger("imagestudio.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_request",
    429: "rate_limited",
}


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorResponse(BaseModel):
    error: ErrorBody


class RangeNotSatisfiable(StudioError):
    code = "range_not_satisfiable"
    http_status = 416

    def __init__(self, size: int) -> None:
        super().__init__("requested range is outside the file", details={"size": size})
        self.size = size


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def render_studio_error(exc: StudioError) -> JSONResponse:
    headers: dict[str, str] = {}
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        headers["Retry-After"] = str(math.ceil(retry_after))
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    return error_response(exc.http_status, exc.code, exc.message, exc.details, headers)


async def _studio(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StudioError)
    return render_studio_error(exc)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return render_studio_error(invalid_request_from(list(exc.errors())))


def invalid_request_from(errors: list[dict[str, Any]]) -> InvalidRequest:
    """FastAPI's validation errors as one :class:`InvalidRequest` naming the first field."""
    problems: list[dict[str, str]] = []
    for error in errors:
        if error.get("type") == "json_invalid":
            problems.append({"field": "body", "message": "request body is not valid JSON"})
        else:
            loc = tuple(error.get("loc", ()))
            problems.append({"field": field_of(loc), "message": describe_error(error)})
    if not problems:
        problems.append({"field": "request", "message": "request is invalid"})
    first = problems[0]
    return InvalidRequest(first["message"], field=first["field"], details={"errors": problems})


async def _pydantic(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    return render_studio_error(invalid_request(exc))


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 400:  # a body that cannot be parsed (multipart): one answer, as for JSON
        problem = f"request body is malformed: {message.rstrip('.')}"
        return render_studio_error(InvalidRequest(problem, field="body"))
    code = _CODES.get(status, "http_error")
    return error_response(status, code, message, headers=dict(exc.headers or {}))


async def _disconnected(request: Request, _exc: Exception) -> Response:
    # The client went away, or BodySizeLimit cut an oversized chunked body off after
    # answering 413 itself: nothing failed here, and whatever is sent now is dropped.
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=400)


def log_unexpected(method: str, path: str, exc: BaseException) -> None:
    log.error("unhandled error on %s %s", method, path, exc_info=exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StudioError, _studio)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ValidationError, _pydantic)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    # Anything else is answered by middleware.CatchAll, which keeps the connection open.


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the error shape documented under each status."""
    return {
        status: {"model": ErrorResponse, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


class ServiceUnavailable(StudioError):
    code = "service_unavailable"
    http_status = 503
