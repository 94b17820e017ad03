"""The ``instant`` provider: a solid PNG at exactly the requested size, at once.

Exists to measure the studio's own overhead (HTTP, auth, planning, post-processing,
storage, database) without any provider latency. The PNG is built by hand: a 1-bit
palette image whose compressed pixel data is cached per size, so each call only writes a
new 3-byte palette (colour from the seed) and a few checksums. Registered only when the
server enables it (``IMAGESTUDIO_ENABLE_INSTANT_PROVIDER=1``).
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import replace
from functools import lru_cache
from types import MappingProxyType
from typing import ClassVar

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.schemas import ModelEntry, ProviderInfo
from imagestudio.imaging.png import SIGNATURE, chunk
from imagestudio.providers.base import (
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderStatus,
    ProviderUsage,
)
from imagestudio.providers.journal import before_paid_send

MODEL_ID = "instant/instant"


@lru_cache(maxsize=64)
def _frame(width: int, height: int) -> tuple[bytes, bytes]:
    """Everything before and after the palette chunk for a ``width``×``height`` image."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0))
    row = b"\x00" * (1 + (width + 7) // 8)
    tail = chunk(b"IDAT", zlib.compress(row * height, 6)) + chunk(b"IEND", b"")
    return SIGNATURE + header, tail


def solid_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    head, tail = _frame(width, height)
    return head + chunk(b"PLTE", bytes(colour)) + tail


def colour_for(seed: int | None) -> tuple[int, int, int]:
    value = (seed or 0) * 2654435761 & 0xFFFFFF
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


class InstantProvider:
    """An :class:`~imagestudio.providers.base.ImageProvider` that never waits."""

    name: ClassVar[str] = "instant"

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """``request.n`` solid PNGs at ``request.size``; never raises (unless a job's
        journal refuses the send). It journals the send as a vendor client does, so the
        overhead it measures includes the per-unit "sent" mark."""
        await before_paid_send(self.name)
        width, height = request.size.width, request.size.height
        images = []
        for i in range(request.n):
            seed = None if request.seed is None else request.seed + i
            data = solid_png(width, height, colour_for(seed))
            images.append(
                GeneratedImage(
                    media_type="image/png", width=width, height=height, data=data, seed=seed
                )
            )
        return ProviderResult(images=images, usage=ProviderUsage(images_billed=request.n))

    async def status(self) -> ProviderStatus:
        return ProviderStatus(self.name, True, "built-in benchmark source (no network, no cost)")


def _entries() -> tuple[ProviderInfo, ModelEntry]:
    info = ProviderInfo(
        id="instant",
        name="Instant benchmark source (not an AI model)",
        key_env=None,
        base_url=None,
        docs="Solid images at the requested size with no latency; for benchmarks.",
        offline=True,
    )
    model = ModelEntry.model_validate(
        {
            "id": MODEL_ID,
            "provider": "instant",
            "provider_model_id": "instant",
            "name": "Instant solid image",
            "description": "A solid PNG at exactly the requested size, returned at once.",
            "ai_model": False,
            "sizing": {"mode": "dimensions", "min_side": 16, "max_side": 4096, "step": 1,
                       "max_pixels": 16_777_216, "preferred_pixels": 16_777_216},
            "max_images_per_call": 10,
            "max_prompt_chars": 32000,
            "params": {"seed": True},
            "seed": {"min": 0, "max": 4294967295},
            "output_formats": ["png"],
            "pricing": {"rule": {"kind": "free"}, "confirmed": True,
                        "source": "internal (in-process)", "verified_on": dt.date(2026, 1, 1)},
        }
    )
    return info, model


def with_instant(catalog: Catalog) -> Catalog:
    """``catalog`` plus the instant provider and model (unchanged if already present)."""
    if MODEL_ID in catalog.models:
        return catalog
    info, model = _entries()
    names = {**catalog._names, MODEL_ID: MODEL_ID, "instant": MODEL_ID}
    return replace(
        catalog,
        providers=MappingProxyType({**catalog.providers, info.id: info}),
        models=MappingProxyType({**catalog.models, model.id: model}),
        _names=MappingProxyType(names),
    )
