"""The OpenAPI document, completed so that it states every answer the API gives.

FastAPI documents request validation as its own ``HTTPValidationError`` shape, which this
API never sends. Here every 422 is the one error shape, every operation that takes input
documents its 422 (a malformed body or parameter) and every operation that takes a body
its 413 (the body size limit, enforced before any handler runs). Under ``/v1`` errors are
OpenAI's (see :mod:`imagestudio.api.openai_errors`): no 422 at all, and the 413 in
OpenAI's shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from imagestudio.api.openai_errors import is_v1

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_OPENAI_ERROR_REF = {"$ref": "#/components/schemas/OpenAIErrorResponse"}
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


def _error(description: str, ref: dict[str, str] = _ERROR_REF) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": dict(ref)}}}


def complete(schema: dict[str, Any]) -> None:
    """Rewrite ``schema`` in place (see the module docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorResponse" not in components:
        return  # no route documents errors: nothing to align with
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if is_v1(path):
                responses.pop("422", None)  # OpenAI answers invalid input with a 400
                if operation.get("requestBody"):
                    responses.setdefault("413", _error("Content Too Large", _OPENAI_ERROR_REF))
                continue
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
