"""The image files the operations pass around: a source as a surface loaded it, and a
finished output as the asset recorder takes it (``assets.recorder.ImageFile``). Edits,
upscales and optimizations share them, so they live below those modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field


class SourceImage(BaseModel):
    """The source as the surface loaded it; ``data`` is never serialised (the id and the
    digest stand for it in job rows and idempotency keys)."""

    asset_id: str
    sha256: str
    width: int
    height: int
    data: bytes = Field(exclude=True, repr=False)


@dataclass(frozen=True)
class OutputFile:
    """A finished image as the asset recorder takes it."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    metadata: dict[str, Any] = field(default_factory=dict)
