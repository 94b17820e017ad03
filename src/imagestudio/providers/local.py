"""Provider ``local``: the offline draft renderer. Free, deterministic, no network, no keys.

It is a procedural renderer (:mod:`imagestudio.render`), not an AI model; its images say so
in a corner and in the result metadata.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from imagestudio.providers.base import (
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderStatus,
    ProviderUsage,
)
from imagestudio.providers.errors import ProviderBadRequest

if TYPE_CHECKING:
    from imagestudio.render.overlay import SafeZoneFractions
    from imagestudio.render.renderer import DraftRenderer

MAX_SIDE = 4096
DESCRIPTION = "offline draft renderer (not an AI model)"
_Bad = Callable[[str], ProviderBadRequest]


class LocalProvider:
    """Renders ``request.n`` draft images in worker threads; billed images are always 0."""

    name: ClassVar[str] = "local"

    def __init__(self, *, renderer: DraftRenderer | None = None) -> None:
        self._given = renderer

    @functools.cached_property
    def _renderer(self) -> DraftRenderer:
        # Built on first use: NumPy and the renderer's tables stay out of a server that
        # never renders (RSS), and start-up does not pay for them.
        if self._given is not None:
            return self._given
        from imagestudio.render.renderer import DraftRenderer

        return DraftRenderer()

    async def status(self) -> ProviderStatus:
        return ProviderStatus(name=self.name, configured=True, reason=DESCRIPTION)

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        width, height = request.size.width, request.size.height
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise self._bad(f"size must be 1..{MAX_SIDE} per side, got {width}x{height}")
        if request.n < 1:
            raise self._bad(f"n must be at least 1, got {request.n}")
        overlay = _overlay_text(request.options, self._bad)
        safe_zone = _safe_zone(request.options, self._bad)
        base_seed = request.seed if request.seed is not None else _prompt_seed(request.prompt)
        images: list[GeneratedImage] = []
        renderer = self._renderer
        for i in range(request.n):
            seed = base_seed + i
            pixels = await asyncio.to_thread(
                renderer.render,
                request.prompt,
                seed,
                width,
                height,
                overlay_text=overlay,
                safe_zone=safe_zone,
            )
            images.append(
                GeneratedImage(
                    media_type="image/png", width=width, height=height, pixels=pixels, seed=seed
                )
            )
        return ProviderResult(
            images=images,
            usage=ProviderUsage(images_billed=0),
            metadata={"renderer": DESCRIPTION, "model": request.model},
        )

    def _bad(self, message: str) -> ProviderBadRequest:
        return ProviderBadRequest(message, provider=self.name)


def _prompt_seed(prompt: str) -> int:
    from imagestudio.render.palette import stable_hash

    return stable_hash(prompt) % (1 << 31)


def _overlay_text(options: Mapping[str, Any], bad: _Bad) -> str | None:
    value = options.get("overlay_text")
    if value is None or isinstance(value, str):
        return value
    raise bad(f"overlay_text must be a string, got {type(value).__name__}")


def _safe_zone(options: Mapping[str, Any], bad: _Bad) -> SafeZoneFractions | None:
    value = options.get("safe_zone")
    if value is None:
        return None
    try:
        top, bottom, left, right = (float(f) for f in value)
    except (TypeError, ValueError) as exc:
        raise bad("safe_zone must be four fractions (top, bottom, left, right)") from exc
    if not all(0.0 <= f < 0.5 for f in (top, bottom, left, right)):
        raise bad(f"safe_zone fractions must be in [0, 0.5), got {tuple(value)!r}")
    return (top, bottom, left, right)
