"""The provider contract: one small async interface every image source implements.

Providers know their vendor's wire format and nothing else: capabilities, prices,
retries, fallbacks, storage and credits live elsewhere. A request reaching a provider
has already been validated and translated against the model's catalog capabilities, so
a provider sends exactly the fields it is given and never re-checks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class SizeRequest:
    """How big to generate, expressed the way the model's sizing mode wants it.

    Exactly the members that mode uses are set: ``width``/``height`` for dimension and
    fixed-size models, ``aspect_ratio`` for ratio-enum models, ``aspect_ratio`` and
    ``tier`` for ratio+tier models. ``width``/``height`` are always the expected output
    pixels (approximate for ratio modes).
    """

    width: int
    height: int
    aspect_ratio: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class ProviderRequest:
    """One vendor call producing ``n`` images of one model.

    ``model`` is the vendor's own model id (``provider_model_id`` in the catalog).
    Optional parameters are ``None`` when they must not be sent.
    """

    model: str
    prompt: str
    size: SizeRequest
    n: int = 1
    negative_prompt: str | None = None
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    style_preset: str | None = None
    quality: str | None = None
    output_format: str = "png"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GeneratedImage:
    """One image as the provider produced it.

    ``data`` holds the encoded bytes (``media_type`` says which codec). In-process
    renderers may hand over decoded ``pixels`` instead, sparing a codec round trip;
    at least one of the two is always set. When both are, ``pixels`` is ``data`` fully
    decoded (vendor clients decode to validate) and normalised as the imaging engine's
    ``decode`` would, so post-processing never decodes the bytes again.
    ``validated`` says ``data`` passed the imaging layer's validator (vendor clients
    check every image they receive), so post-processing need not check it again.
    ``content_filtered`` marks an image the vendor altered for moderation (and may still
    bill).
    """

    media_type: str
    width: int
    height: int
    data: bytes | None = None
    pixels: Image.Image | None = None
    seed: int | None = None
    content_filtered: bool = False
    validated: bool = False

    def __post_init__(self) -> None:
        if self.data is None and self.pixels is None:
            raise ValueError("GeneratedImage needs data or pixels")


@dataclass(frozen=True)
class ProviderUsage:
    """What the vendor says the call consumed; ``vendor_cost`` is in the vendor's unit."""

    images_billed: int = 0
    vendor_cost: float | None = None
    vendor_unit: str | None = None
    tokens: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderResult:
    images: list[GeneratedImage]
    request_id: str | None = None
    usage: ProviderUsage = field(default_factory=ProviderUsage)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderStatus:
    """Whether the provider can be used, and if not, why (naming the missing setting)."""

    name: str
    configured: bool
    reason: str = ""
    base_url: str | None = None


@runtime_checkable
class ImageProvider(Protocol):
    """An image source.

    ``name`` is the stable registry key stored on every generation; it is never renamed.
    """

    name: ClassVar[str]

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """Produce ``request.n`` images.

        Returns at least one image or raises. Raises only
        :class:`~imagestudio.providers.errors.ProviderError` subclasses.
        """
        ...

    async def status(self) -> ProviderStatus:
        """Report configuration without spending money (no network by default)."""
        ...
