"""Response shapes of the UI-support routes (``/api/image-studio/ui``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from imagestudio.money import Money


class LimitsPublic(BaseModel):
    prompt_max_chars: int
    negative_prompt_max_chars: int
    overlay_text_max_chars: int
    max_variations: int
    min_side: int
    max_side: int
    seed_max: int


class FeaturesPublic(BaseModel):
    """Optional API routes this server has, so the page never probes with 404s."""

    preflight: bool
    usage: bool


class UiConfigPublic(BaseModel):
    version: str
    single_user: bool = Field(description="A local session is available to this client.")
    limits: LimitsPublic
    features: FeaturesPublic


class NamedPublic(BaseModel):
    id: str
    name: str


class TierPublic(NamedPublic):
    description: str


class UserInfoPublic(BaseModel):
    name: str
    plan: str


class SessionPublic(BaseModel):
    user: UserInfoPublic
    local: bool = Field(description="Signed in through the single-user local session.")
    platforms: list[NamedPublic]
    styles: list[NamedPublic]
    quality_tiers: list[TierPublic]


class LocalSessionPublic(BaseModel):
    key: str
    user: UserInfoPublic
    mode: Literal["single-user"] = "single-user"


class PromptPreviewPublic(BaseModel):
    prompt: str = Field(description="The prompt the model will receive.")
    enhanced: bool
    style: NamedPublic | None
    model: str


class GenerationPublic(BaseModel):
    """A past create request as recorded, for "generate again"."""

    id: str
    status: str
    request: dict[str, Any]
    provider: str
    model: str
    template_id: str | None
    num_requested: int
    num_succeeded: int
    warnings: list[str]
    errors: list[dict[str, Any]]
    quote: Money
    cost: Money
    created_at: dt.datetime


class ProviderStatePublic(BaseModel):
    """One configured provider's health as this server sees it now."""

    id: str
    state: Literal["ok", "cooling_down", "recovering"] = Field(
        description="cooling_down: skipped after repeated failures until retry_in_s has "
        "passed; recovering: one image is probing it, the others wait for the verdict."
    )
    retry_in_s: float = Field(description="Seconds until it is tried again (0 unless cooling).")


class ProviderStatusPublic(BaseModel):
    providers: list[ProviderStatePublic]


class StylePreviewPublic(BaseModel):
    id: str
    name: str
    image: str = Field(description="A small PNG as a data: URL, drawn by the offline renderer.")


class StylePreviewsPublic(BaseModel):
    styles: list[StylePreviewPublic]


class HistoryAssetPublic(BaseModel):
    id: str
    url: str
    width: int
    height: int
    favourite: bool


class HistoryItemPublic(GenerationPublic):
    """A past create with the images it put in the library (still there)."""

    assets: list[HistoryAssetPublic]


class HistoryPublic(BaseModel):
    items: list[HistoryItemPublic]
