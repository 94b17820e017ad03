"""The transform as the studio sees it: plan (validate and price, no side effects) and
run (render off the event loop, or have the vendor make it: Veo, WAN).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.video_targets import VideoModel, VideoTarget, resolution_of
from imagestudio.errors import InvalidRequest
from imagestudio.providers.errors import ProviderNotConfigured
from imagestudio.video.motion import DEFAULT_EASE, Motion
from imagestudio.video.render import Clip, ClipSpec, Conformed, conform, render_clip
from imagestudio.video.schemas import NOT_AI_LABEL, TransformRequest
from imagestudio.video.vendor import VendorAsk, VideoClient, make_clip, vendor_ask

MAX_SOURCE_PIXELS = 40_000_000
FrameListener = Callable[[int, int], None]


@dataclass(frozen=True)
class VideoPlan:
    request: TransformRequest
    target: VideoTarget
    model: VideoModel
    spec: ClipSpec
    fitted: Conformed
    price_micros: int
    vendor: VendorAsk | None = None

    @property
    def label(self) -> str:
        return NOT_AI_LABEL if not self.model.ai_model else f"made by {self.model.name}"


@dataclass(frozen=True)
class VideoFile:
    """A rendered clip as the recorder stores it (with its poster frame beside it)."""

    data: bytes
    poster: bytes
    width: int
    height: int
    metadata: dict[str, Any]
    media_type: str = "video/mp4"
    extension: str = "mp4"


class VideoService:
    """Plans and renders clips; at most ``max_renders`` render at once (each takes about
    two cores and up to ~250 MiB for a 1080×1920 clip), later ones wait their turn."""

    def __init__(self, catalog: Catalog, *, max_renders: int = 2,
                 vendors: Mapping[str, VideoClient] | None = None,
                 poll_interval_s: float | None = None) -> None:
        self._catalog = catalog
        self._renders = asyncio.Semaphore(max_renders)
        self._vendors = dict(vendors or {})
        self._poll_interval_s = poll_interval_s  # tests: the catalog's interval otherwise

    def offers(self, model: VideoModel) -> bool:
        """Whether ``model`` can run here (local, or its vendor has a key)."""
        return not model.ai_model or model.provider in self._vendors

    def plan(self, request: TransformRequest, *, has_image: bool | None = None) -> VideoPlan:
        """Validate ``request`` against the catalog and price it (raises InvalidRequest).

        ``has_image`` makes a quote: whether a still will come (its bytes are not checked).
        """
        target = self._catalog.find_video_target(request.target)
        if target is None:
            known = ", ".join(self._catalog.video_targets)
            raise InvalidRequest(f"target: unknown video target {request.target!r} "
                                 f"(known: {known})", field="target")
        model = self._catalog.video_models.get(request.model)
        if model is None:
            raise InvalidRequest(f"model: unknown video model {request.model!r}", field="model")
        if has_image is None and request.image is not None:
            _check_image(request.image)
        elif not model.ai_model and not (has_image or request.image):
            raise InvalidRequest("image: give an image or asset_id to animate", field="image")
        if model.ai_model and model.provider not in self._vendors:
            raise ProviderNotConfigured(f"{model.provider} is not configured: set its API key "
                                        f"to use {model.id}", provider=model.provider)
        motion = Motion(request.preset, request.ease or DEFAULT_EASE[request.preset],
                        (request.focal_x, request.focal_y))
        spec = ClipSpec(target, motion, request.duration, request.fps, request.headline,
                        request.cta, request.fade_in, request.fade_out, request.audio)
        fitted = conform(spec)
        if model.ai_model:  # billed per second of the vendor's clip at its size tier
            ask = vendor_ask(model, target, fitted.duration_s, request.prompt, request.image,
                             has_image=has_image)
            price = model.price_micros(ask.resolution, ask.duration_s, 1)
            assert price is not None
            return VideoPlan(request, target, model, spec, fitted, price, ask)
        price = model.price_micros(resolution_of(target.width, target.height),
                                   fitted.frame_count, fitted.fps)
        if price is None:
            raise InvalidRequest(f"target: {model.id} does not render {target.id}'s size",
                                 field="target")
        return VideoPlan(request, target, model, spec, fitted, price)

    async def run(self, plan: VideoPlan, on_frame: FrameListener | None = None) -> Clip:
        """Render the clip on a worker thread (CPU-bound), or have the vendor make it."""
        if plan.vendor is not None:
            client = self._vendors[plan.model.provider]
            return await make_clip(client, plan.vendor, plan.target,
                                   interval_s=self._poll_interval_s)
        assert plan.request.image is not None
        async with self._renders:
            image = Image.open(io.BytesIO(plan.request.image))
            return await asyncio.to_thread(render_clip, image, plan.spec, on_frame)


def video_file(plan: VideoPlan, clip: Clip) -> VideoFile:
    return VideoFile(
        data=clip.data, poster=clip.poster, width=clip.width, height=clip.height,
        metadata={
            "provider": plan.model.provider, "model": plan.model.id,
            "platform": plan.target.platform,
            "prompt": plan.request.prompt or plan.request.headline,
            "duration_ms": round(clip.duration_s * 1000), "codec": clip.codec,
        },
    )


def _check_image(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidRequest("image: not a readable image file", field="image") from exc
    if width * height > MAX_SOURCE_PIXELS:
        raise InvalidRequest(f"image: {width}x{height} is over {MAX_SOURCE_PIXELS:,} pixels",
                             field="image")
