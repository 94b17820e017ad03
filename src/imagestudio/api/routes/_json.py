"""Serialise a response model straight to bytes (skips FastAPI's second validation pass)."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_response(
    model: BaseModel, *, status_code: int = 200, exclude_none: bool = False
) -> Response:
    return Response(
        content=model.model_dump_json(exclude_none=exclude_none),
        status_code=status_code,
        media_type="application/json",
    )
