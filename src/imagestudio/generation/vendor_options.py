"""Vendor pass-through options: OpenAI's ``background``, ``user``, ``moderation`` and
``output_compression``, sent verbatim to the models whose catalog entry declares them.

A plain :class:`CreateRequest` carries none (the studio's own create has no such fields);
the OpenAI-compatible route builds an :class:`OptionedCreateRequest`. A model takes
``background`` when its ``params.background`` is true and the others when they are listed
in its ``params.vendor_options``; other models are never sent them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imagestudio.catalog.schemas import ModelEntry
from imagestudio.generation.schemas import CreateRequest

Background = Literal["transparent", "opaque", "auto"]


class VendorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    background: Background | None = None
    user: str | None = Field(default=None, max_length=256)
    moderation: Literal["auto", "low"] | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)


class OptionedCreateRequest(CreateRequest):
    """A create that also carries vendor pass-through options."""

    vendor_options: VendorOptions = Field(default_factory=VendorOptions)


def supported(model: ModelEntry) -> frozenset[str]:
    """The pass-through options ``model`` takes."""
    names: set[str] = set(model.params.vendor_options)
    if model.params.background:
        names.add("background")
    return frozenset(names)


def requested(request: CreateRequest) -> dict[str, Any]:
    """The options ``request`` asks for (none for a plain create)."""
    if not isinstance(request, OptionedCreateRequest):
        return {}
    return request.vendor_options.model_dump(exclude_none=True)


def options_for(request: CreateRequest, model: ModelEntry) -> dict[str, Any]:
    """What to send ``model``: the requested options it declares."""
    allowed = supported(model)
    return {key: value for key, value in requested(request).items() if key in allowed}


def wants_transparency(request: CreateRequest) -> bool:
    return requested(request).get("background") == "transparent"
