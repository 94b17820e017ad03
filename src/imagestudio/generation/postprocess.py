"""Turn what a provider produced into the file the user gets.

Decode (with decompression-bomb limits), cover-crop around the focal point and resize to
the exact target pixels, draw the headline overlay inside the safe zone, encode in the
requested format with the generation metadata embedded (unless stripped). A provider
image that is already exactly right skips the pixel work (see :func:`finish_image`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from imagestudio import __version__
from imagestudio.generation.planner import GenerationPlan, ModelPlan
from imagestudio.imaging import png
from imagestudio.imaging.engine import ImageEngine
from imagestudio.imaging.formats import extension_for, media_type_for
from imagestudio.providers.base import GeneratedImage

MAX_DECODE_PIXELS = 64_000_000
# An encoded image already at the target size and this small is finished (one validating
# decode, a metadata swap) in less time than a hop to a worker thread takes.
INLINE_FINISH_PIXELS = 512 * 512
INLINE_FINISH_BYTES = 256 * 1024


@dataclass(frozen=True)
class RenderedImage:
    """A finished image file plus the metadata written into it and its JSON sidecar."""

    data: bytes
    media_type: str
    extension: str  # with the dot: ".png"
    width: int
    height: int
    seed: int | None
    sha256: str
    metadata: dict[str, Any]


def generation_metadata(
    plan: GenerationPlan, model_plan: ModelPlan, seed: int | None, index: int
) -> dict[str, Any]:
    """The record embedded in the file and written to the sidecar (no timestamps, so the
    same request yields byte-identical files)."""
    model = model_plan.model
    request = plan.request
    return {
        "generator": f"Image Studio {__version__}",
        "prompt": request.prompt,
        "enhanced_prompt": plan.enhanced_prompt,
        "negative_prompt": model_plan.negative_prompt,
        "seed": seed,
        "variation": index,
        "provider": model.provider,
        "model": model.id,
        "model_name": model.name,
        "ai_generated": model.ai_model,
        "template_id": plan.template.id if plan.template else None,
        "platform": plan.template.platform if plan.template else None,
        "quality": plan.quality,
        "style_preset": plan.style.id if plan.style else None,
        "width": plan.target.width,
        "height": plan.target.height,
        "generated_width": model_plan.size.width,
        "generated_height": model_plan.size.height,
        "overlay_text": request.overlay_text,
        "cost_micros_usd": model_plan.per_image_micros,
    }


def finishes_inline(generated: GeneratedImage, plan: GenerationPlan) -> bool:
    """Whether :func:`finish_image` is cheap enough for ``generated`` to run on the loop:
    a small image at the target size, or a validated plain PNG at the target size that
    becomes a PNG without overlay (a metadata swap, a copy of its bytes, whatever its size).
    """
    data = generated.data
    if data is None or (generated.width, generated.height) != (
        plan.target.width, plan.target.height
    ):
        return False
    if len(data) <= INLINE_FINISH_BYTES and generated.width * generated.height <= (
        INLINE_FINISH_PIXELS
    ):
        return True
    header = png.read_header(data) if generated.validated else None
    return (
        header is not None
        and header.depth <= 8
        and not header.interlaced
        and plan.request.output_format == "png"
        and not plan.request.overlay_text
        and not png.has_exif(data)
    )


def finish_image(
    engine: ImageEngine,
    plan: GenerationPlan,
    model_plan: ModelPlan,
    generated: GeneratedImage,
    seed: int,
    index: int,
) -> RenderedImage:
    """Blocking: run it in a worker thread.

    An image that already has the target size and format and needs no overlay keeps its
    encoded bytes (validated by a full decode); only its metadata is replaced.
    """
    target = plan.target
    request = plan.request
    overlay = bool(request.overlay_text) and not model_plan.model.params.overlay_text
    sent_seed = seed if model_plan.sends_seed else None
    reported_seed = generated.seed if generated.seed is not None else sent_seed
    metadata = generation_metadata(plan, model_plan, reported_seed, index)
    embedded = None if request.strip_metadata else metadata
    fmt = request.output_format
    data = None
    if generated.data is not None and not overlay:
        data = engine.repackage(
            generated.data, fmt, target.width, target.height,
            metadata=embedded, max_pixels=MAX_DECODE_PIXELS,
            # vendor clients validate (and decode what is not a plain PNG)
            decoded=generated.validated or generated.pixels is not None,
        )
    if data is None:
        pixels = generated.pixels
        if pixels is None:
            assert generated.data is not None
            pixels = engine.decode(generated.data, max_pixels=MAX_DECODE_PIXELS)
        fitted = engine.fit(pixels, target.width, target.height, focal=request.focal_point)
        if overlay:
            assert request.overlay_text is not None
            from imagestudio.render.overlay import overlay_headline  # NumPy: loaded on use

            fitted = overlay_headline(fitted, request.overlay_text, plan.safe_zone_fractions)
        data = engine.encode(fitted, fmt, metadata=embedded)
    return RenderedImage(
        data=data,
        media_type=media_type_for(fmt),
        extension=extension_for(fmt),
        width=target.width,
        height=target.height,
        seed=metadata["seed"],
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata,
    )
