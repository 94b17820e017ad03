"""Vendor image-to-video and text-to-video (Google Veo on the Gemini API, WaveSpeed WAN):
one clip per request, made by the vendor's long-running job through
:func:`~imagestudio.video.vendor_jobs.run_vendor_job` (journaled, resumable), conformed to
the target (:mod:`~imagestudio.video.vendor_conform`), then read back with PyAV for the
facts the library records and a poster frame."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass

from imagestudio.catalog.video_targets import Resolution, VideoModel, VideoTarget
from imagestudio.errors import InvalidRequest
from imagestudio.providers.veo import VeoClient
from imagestudio.providers.wan import WanVideoClient
from imagestudio.video.encode import load_av
from imagestudio.video.render import Clip, RenderStats
from imagestudio.video.vendor_conform import conform_vendor_clip
from imagestudio.video.vendor_jobs import run_vendor_job

JOB_TIMEOUT_S = 900.0
VideoClient = VeoClient | WanVideoClient


@dataclass(frozen=True)
class VendorAsk:
    """What goes to the vendor: the model, the prompt and image, length, size tier and
    aspect ratio (None: the image's own)."""

    model: VideoModel
    prompt: str | None
    image: bytes | None
    duration_s: int
    resolution: Resolution
    aspect_ratio: str | None


def vendor_ask(model: VideoModel, target: VideoTarget, duration_s: float,
               prompt: str | None, image: bytes | None, *,
               has_image: bool | None = None) -> VendorAsk:
    """Check a request against ``model``'s rules (raises InvalidRequest naming the field);
    ``has_image`` stands for ``image`` when only quoting."""
    if has_image is None:
        has_image = image is not None
    if model.needs_image and not has_image:
        raise InvalidRequest(f"image: {model.id} animates an image: give image or asset_id",
                             field="image")
    if has_image and not model.takes_image:
        raise InvalidRequest(f"image: {model.id} makes video from a prompt alone: give no "
                             "image or asset_id", field="image")
    if (model.needs_prompt or not has_image) and not prompt:
        raise InvalidRequest(f"prompt: {model.id} needs a prompt describing the motion",
                             field="prompt")
    seconds = round(duration_s)
    if model.durations_s and (seconds != duration_s or seconds not in model.durations_s):
        allowed = ", ".join(str(d) for d in model.durations_s)
        raise InvalidRequest(f"duration: {model.id} makes clips of {allowed} s",
                             field="duration")
    aspect = None
    if model.aspect_ratios:
        aspect = "9:16" if target.height > target.width else "16:9"
        if target.width == target.height or aspect not in model.aspect_ratios:
            raise InvalidRequest(f"target: {model.id} makes {' or '.join(model.aspect_ratios)} "
                                 f"clips, not {target.width}x{target.height}", field="target")
    resolution: Resolution = "1080p" if min(target.width, target.height) >= 1080 else "720p"
    if resolution not in model.per_second_micros:
        resolution = "720p"
    return VendorAsk(model, prompt, image, seconds, resolution, aspect)


def _mime(image: bytes) -> str:
    if image.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


async def make_clip(client: VideoClient, ask: VendorAsk, target: VideoTarget, *,
                    interval_s: float | None = None,
                    timeout_s: float = JOB_TIMEOUT_S) -> Clip:
    """Have the vendor make the clip (submitted once, resumed by its journaled id)."""
    model, vendor_model = ask.model, ask.model.vendor_model
    assert vendor_model is not None
    mime = _mime(ask.image) if ask.image else "image/png"

    async def submit() -> str:
        if isinstance(client, VeoClient):
            return await client.submit(vendor_model, prompt=ask.prompt, image=ask.image,
                                       mime_type=mime, duration_s=ask.duration_s,
                                       aspect_ratio=ask.aspect_ratio or "9:16",
                                       resolution=ask.resolution)
        assert isinstance(client, WanVideoClient)
        return await client.submit(vendor_model, prompt=ask.prompt or "", image=ask.image,
                                   mime_type=mime, duration_s=ask.duration_s,
                                   resolution=ask.resolution,
                                   aspect_ratio=ask.aspect_ratio or "16:9")

    data = await run_vendor_job(client, submit, timeout_s=timeout_s,
                                interval_s=interval_s or model.poll_interval_s)
    # the vendor has delivered (and billed): conforming is CPU work, off the event loop
    return await asyncio.to_thread(clip_of, data, target, ask.duration_s)


def clip_of(data: bytes, target: VideoTarget, asked_s: float) -> Clip:
    """A vendor's MP4 as a clip that meets ``target`` (re-encoded to its exact size, a
    frame rate it takes and the asked length inside its limits where the vendor's is
    not), with its facts read back and a poster frame."""
    started = time.perf_counter()
    conformed = conform_vendor_clip(data, target, asked_s)
    facts, data = conformed.facts, conformed.data
    return Clip(data, _poster(data, facts.frame_count // 2), facts.width, facts.height,
                round(facts.fps) or 1, facts.frame_count, round(facts.duration_s, 3),
                facts.codec, facts.audio_codec is not None, conformed.warnings,
                RenderStats(0.0, 0.0, time.perf_counter() - started, 1))


def _poster(data: bytes, index: int) -> bytes:
    av = load_av()
    with av.open(io.BytesIO(data)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number >= index:
                image = frame.to_image()
                break
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
