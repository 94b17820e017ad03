"""Public shapes of the asset library: assets, updates, filters, collections."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from imagestudio.validation import PublicInput

MAX_TAGS = 30
MAX_PAGE = 200
MAX_EXPORT = 500
_TAG_RE = re.compile(r"^[\w][\w .:+#-]{0,49}$")


def _normal_tag(tag: str) -> str:
    tag = " ".join(tag.split()).lower()
    if not _TAG_RE.match(tag):
        raise ValueError("a tag is 1-50 letters, digits, spaces or _ . : + # -")
    return tag


Tag = Annotated[str, AfterValidator(_normal_tag)]
_NUMBER_RE = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_only(value: object) -> object:
    # pydantic reads "0.5" as a Unix time; a date filter takes ISO 8601 only.
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value):
        raise ValueError("must be an ISO 8601 date or date-time, such as 2026-12-01")
    return value
SortField = Literal["created_at", "updated_at", "size_bytes", "title"]


class AssetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str | None = Field(default=None, description="Signed download URL (no header needed).")
    title: str | None
    prompt: str | None
    media_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    provider: str | None
    model: str | None
    seed: int | None
    template_id: str | None
    platform: str | None
    generation_id: str | None
    tags: list[str]
    favourite: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    parent_id: str | None = Field(default=None, description="The asset this was made from.")
    operation: str | None = Field(default=None, description="What made it from its parent.")
    parameters: dict[str, Any] | None = Field(default=None, description="With what settings.")
    # A list, not a tuple: schemathesis cannot read the prefixItems of a nullable tuple.
    focal_point: list[float] | None = Field(
        default=None, min_length=2, max_length=2,
        description="The remembered focal point [x, y] (each in 0..1), if set.",
    )
    duration_ms: int | None = Field(default=None, description="Videos: length.")
    codec: str | None = Field(default=None, description="Videos: video codec (h264).")
    has_poster: bool = Field(default=False, description="Videos: GET …/assets/{id}/poster.")


class AssetsPublic(BaseModel):
    items: list[AssetPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class AssetUpdate(PublicInput):
    """Fields to change; omitted fields stay as they are."""

    title: str | None = Field(default=None, max_length=200)
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    favourite: bool | None = None


class AssetQuery(PublicInput):
    """Filters, search and order for listing assets (query strings: numbers and booleans
    are parsed from text; dates must be ISO 8601, never bare numbers)."""

    model_config = ConfigDict(strict=False)

    platform: str | None = Field(default=None, max_length=50)
    template: str | None = Field(default=None, max_length=100)
    provider: str | None = Field(default=None, max_length=50)
    model: str | None = Field(default=None, max_length=100)
    favourite: bool | None = None
    media: Literal["image", "video"] | None = Field(default=None, description="Media type.")
    tag: Tag | None = None
    collection: str | None = Field(default=None, max_length=32)
    created_after: Annotated[dt.datetime | None, BeforeValidator(_iso_only)] = None
    created_before: Annotated[dt.datetime | None, BeforeValidator(_iso_only)] = None
    q: str | None = Field(default=None, max_length=200, description="Words in prompt/title/tags.")
    versions: bool = Field(
        default=True, description="false: hide edit versions (images made by an edit or a "
                                  "revert); their originals stay, each with its history.")
    sort: SortField = "created_at"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(default=None, max_length=500)


class ExportRequest(PublicInput):
    asset_ids: list[str] = Field(min_length=1, max_length=MAX_EXPORT)


class CollectionCreate(PublicInput):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)


class CollectionUpdate(PublicInput):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)


class CollectionPublic(BaseModel):
    id: str
    name: str
    description: str
    asset_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CollectionsPublic(BaseModel):
    items: list[CollectionPublic]


class CollectionAssets(PublicInput):
    asset_ids: list[str] = Field(min_length=1, max_length=MAX_EXPORT)
