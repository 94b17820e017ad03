"""The OpenAPI document, completed so that it states every answer the API gives.

FastAPI documents request validation as its own ``HTTPValidationError`` shape, which this
API never sends. Here every 422 is the one error shape, every operation that takes input
documents its 422 (a malformed body or parameter) and every operation that takes a body
its 413 (the body size limit, enforced before any handler runs).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_FASTAPI_SHAPES = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "patch", "delete")


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            complete(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def complete(schema: dict[str, Any]) -> None:
    """Rewrite ``schema`` in place (see the module docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorResponse" not in components:
        return  # no route documents errors: nothing to align with
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                for media in response.get("content", {}).values():
                    ref = media.get("schema", {}).get("$ref", "")
                    if ref.rsplit("/", 1)[-1] in _FASTAPI_SHAPES:
                        media["schema"] = dict(_ERROR_REF)
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("422", _error("Unprocessable Content"))
            if operation.get("requestBody"):
                responses.setdefault("413", _error("Content Too Large"))
    for name in _FASTAPI_SHAPES:
        components.pop(name, None)
