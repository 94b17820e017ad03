"""Shapes only the HTTP API uses (the create/estimate bodies and catalog listings)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from imagestudio.catalog.schemas import FileTypes, MaxFileBytes, ModelEntry, SafeZone, Template
from imagestudio.generation.schemas import CreateRequest, CreateResult, QuotePublic
from imagestudio.validation import StorableText

ResponseFormat = Literal["url", "b64_json"]
# Every integer query parameter is bounded by the databases' BIGINT (and Python's C longs).
MAX_QUERY_INT = 2**63 - 1


class StudioCreateRequest(CreateRequest):
    """The create body: the studio's request plus how to return the images."""

    response_format: ResponseFormat = Field(
        default="url", description="'b64_json' also returns each image inline as base64."
    )


class CreateResponse(CreateResult):
    generation_id: str


class EstimatePublic(QuotePublic):
    operation: Literal["generate"] = "generate"
    resolution: str = Field(description="Target size as WxH.")
    currency: Literal["USD"] = "USD"
    estimated: bool = True


class TemplateHit(Template):
    score: float | None = Field(default=None, description="Match strength in (0, 1].")


class TemplatesPublic(BaseModel):
    templates: list[TemplateHit]
    total: int


class AspectRatioPublic(BaseModel):
    id: str
    name: str
    width: int
    height: int
    label: str
    exact: str
    value: float


class ProviderPublic(BaseModel):
    id: str
    name: str
    available: bool = Field(description="Configured and callable now.")
    offline: bool
    key_env: str | None
    docs: str
    models: list[ModelEntry]


class ProvidersPublic(BaseModel):
    providers: list[ProviderPublic]


class FormatPublic(BaseModel):
    id: str
    name: str
    width: int
    height: int
    aspect_ratio: str
    aspect_ratio_exact: str
    safe_zone: SafeZone


class PlatformSpecPublic(BaseModel):
    id: str
    name: str
    aliases: list[str]
    formats: list[FormatPublic]
    file_types: FileTypes
    max_file_bytes: MaxFileBytes
    notes: str


class HealthPublic(BaseModel):
    status: Literal["ok"]
    version: str
    database: Literal["ok"]


# Path and query text, checked like every body string (:func:`imagestudio.validation.storable`).
PathId = Annotated[StorableText, Path(max_length=100)]
