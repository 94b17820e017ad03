"""Turn an image into a short clip (``POST /api/image-studio/transform``).

Always a job: the request is checked, priced and held, then answered ``202`` with the
job and its ``Location``; the clip renders (or the vendor makes it) in the background,
with progress on ``GET /jobs/{id}/events``. The CLI runs the same operation in-process.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imagestudio.api.deps import IdempotencyKeyDep, StateDep, UserDep
from imagestudio.api.downloads import NOSNIFF, read_stored, safe_filename
from imagestudio.api.errors import error_responses
from imagestudio.api.job_schemas import JobPublic
from imagestudio.api.routes.jobs import submit
from imagestudio.credits.schemas import CreditCheckPublic
from imagestudio.errors import InvalidRequest, NotFound, PayloadTooLarge
from imagestudio.money import Money
from imagestudio.studio.video import VideoPlanner
from imagestudio.validation import StorableInput
from imagestudio.video.motion import Ease, Preset
from imagestudio.video.schemas import TransformRequest

router = APIRouter(prefix="/api/image-studio", tags=["video"])
TRANSFORM_PATH = "/api/image-studio/transform"


async def _read(file: UploadFile, limit: int, field: str) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{field}: larger than {limit} bytes", field=field)
    return data


@router.post(
    "/transform", response_model=JobPublic, status_code=202,
    responses=error_responses(401, 402, 403, 404, 409, 413, 422, 429, 503),
)
async def transform(
    http: Request,
    user: UserDep,
    state: StateDep,
    image: Annotated[UploadFile | None, File(description="The still (or give asset_id).")] = None,
    asset_id: Annotated[str | None, Form(max_length=32)] = None,
    image_url: Annotated[str | None, Form(
        min_length=1, max_length=2000,
        description="Or a still for the server to fetch (a host on its "
                    "IMAGESTUDIO_IMAGE_URL_HOSTS list, public addresses only).")] = None,
    audio: Annotated[UploadFile | None, File(description="Optional soundtrack.")] = None,
    preset: Annotated[Preset, Form()] = "zoom-in",
    ease: Annotated[Ease | None, Form()] = None,
    duration: Annotated[float, Form()] = 6.0,
    target: Annotated[str, Form(max_length=50)] = "instagram_reel",
    fps: Annotated[int | None, Form()] = None,
    focal_x: Annotated[float, Form()] = 0.5,
    focal_y: Annotated[float, Form()] = 0.5,
    headline: Annotated[str | None, Form()] = None,
    cta: Annotated[str | None, Form()] = None,
    fade_in: Annotated[float, Form()] = 0.0,
    fade_out: Annotated[float, Form()] = 0.0,
    model: Annotated[str, Form(max_length=100)] = "local/motion-presets",
    prompt: Annotated[str | None, Form(max_length=2000)] = None,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """Render a motion preset (zoom, pan, Ken Burns, push) of an image as an H.264 MP4 for
    a video target, with optional text, fades and soundtrack. Local presets are free, run
    offline and use no AI model (``ai_generated: false``); they count against the
    ``video`` quota. With ``model`` ``gemini/veo-3.1-generate-preview`` (image and/or
    ``prompt``; 4, 6 or 8 s; 16:9 or 9:16 targets) or ``wavespeed/wan-2.6-i2v`` (image and
    ``prompt``; 5, 10 or 15 s) the vendor makes the clip, priced per second at the size
    tier asked; a refused or failed vendor job costs nothing. Answers ``202`` with the job
    (``Location: /api/image-studio/jobs/{id}``); follow it on ``/jobs/{id}/events``
    (``unit_started`` events carry ``progress``, 0..1); the ended job's ``result`` is the
    clip with its ``asset_id`` and signed ``url``. Cancel it with ``POST /jobs/{id}/cancel``
    (a local render stops at once, free; a vendor job already sent is delivered and
    charged: the vendor bills it)."""
    limit = state.server.max_upload_bytes
    if image is not None and asset_id is not None:
        raise InvalidRequest("image: give one of image (a file) or asset_id, not both",
                             field="image")
    if image_url is not None and (image is not None or asset_id is not None):
        raise InvalidRequest("image_url: give one of image, asset_id and image_url",
                             field="image_url")
    still: bytes | None = None
    if image_url is not None:
        still = await state.image_urls.fetch(image_url)
    elif image is not None:
        still = await _read(image, limit, "image")
    elif asset_id is not None:
        asset = await state.persistence.library.get(user.user_id, asset_id)
        if not asset.media_type.startswith("image/"):
            raise InvalidRequest(f"asset_id: {asset_id} is not an image", field="asset_id")
        still = await read_stored(state.persistence.store, asset.file_key)
    sound = await _read(audio, limit, "audio") if audio is not None else None
    request = _request(dict(
        image=still, audio=sound, source_asset_id=asset_id, preset=preset, ease=ease,
        duration=duration, target=target, fps=fps, focal_x=focal_x, focal_y=focal_y,
        headline=headline or None, cta=cta or None, fade_in=fade_in, fade_out=fade_out,
        model=model, prompt=prompt or None,
    ))
    return await submit(state, http, user, "video", request, idempotency_key)


def _request(fields: dict[str, object]) -> TransformRequest:
    try:
        return TransformRequest.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"]) or "request"
        raise InvalidRequest(f"{name}: {error['msg']}", field=name) from exc


class TransformQuoteRequest(StorableInput):
    """What a transform would cost, before the still is sent (the live quote)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(default="local/motion-presets", max_length=100)
    target: str = Field(default="instagram_reel", min_length=1, max_length=50)
    duration: float = Field(default=6.0, gt=0, le=60)
    fps: int | None = Field(default=None, ge=1, le=120)
    preset: Preset = "zoom-in"
    prompt: str | None = Field(default=None, max_length=2000)
    has_image: bool = Field(default=True, description="Whether a still will be sent.")


class TransformQuotePublic(BaseModel):
    model: str
    ai_generated: bool
    label: str
    seconds: float
    quote: Money = Field(description="What the transform would hold and capture.")
    warnings: list[str]
    check: CreditCheckPublic = Field(description="What the credit checks would decide now.")


@router.post("/transform/quote", response_model=TransformQuotePublic,
             responses=error_responses(401, 422, 503))
async def transform_quote(body: TransformQuoteRequest, user: UserDep,
                          state: StateDep) -> TransformQuotePublic:
    """Price a transform and run the credit checks without holding anything (the same
    price table the hold and the capture use). Refuses what the transform would refuse."""
    planner = state.services.transform.planner
    assert isinstance(planner, VideoPlanner)
    fields = body.model_dump(exclude={"has_image"})
    priced = planner.quote(_request(fields), has_image=body.has_image)
    plan = priced.plan
    seconds = float(plan.vendor.duration_s) if plan.vendor else plan.fitted.duration_s
    check = await state.persistence.credits.reports.check(user, priced.charge)
    return TransformQuotePublic(
        model=plan.model.id, ai_generated=plan.model.ai_model, label=plan.label,
        seconds=seconds, quote=Money.of(plan.price_micros),
        warnings=list(plan.fitted.warnings), check=check,
    )


class VideoTargetPublic(BaseModel):
    id: str
    name: str
    platform: str
    width: int
    height: int
    min_duration_s: float
    max_duration_s: float
    fps: int


@router.get("/video-targets", response_model=list[VideoTargetPublic],
            responses=error_responses(401))
async def video_targets(_user: UserDep, state: StateDep) -> list[VideoTargetPublic]:
    """Where a clip can go: each target's size, duration range and default frame rate."""
    return [
        VideoTargetPublic(id=t.id, name=t.name, platform=t.platform, width=t.width,
                          height=t.height, min_duration_s=t.duration.min_s,
                          max_duration_s=t.duration.max_s, fps=t.fps.default)
        for t in state.services.catalog.video_targets.values()
    ]


class VideoModelPublic(BaseModel):
    id: str
    name: str
    provider: str
    ai_generated: bool
    description: str
    available: bool = Field(description="False while its vendor has no API key here.")
    durations_s: list[int] = Field(description="Clip lengths it makes (empty: any).")
    needs_image: bool
    takes_image: bool = Field(description="False: it makes video from a prompt alone.")
    needs_prompt: bool
    per_second: dict[str, Money] = Field(description="Price per second by size tier.")


@router.get("/video-models", response_model=list[VideoModelPublic],
            responses=error_responses(401))
async def video_models(_user: UserDep, state: StateDep) -> list[VideoModelPublic]:
    """How a clip can be made: the free local presets and the vendor models, with their
    per-second prices (the same rows the quote, hold and capture use)."""
    planner = state.services.transform.planner
    assert isinstance(planner, VideoPlanner)
    return [
        VideoModelPublic(
            id=m.id, name=m.name, provider=m.provider, ai_generated=m.ai_model,
            description=m.description, available=planner.offers(m),
            durations_s=list(m.durations_s), needs_image=m.needs_image,
            takes_image=m.takes_image, needs_prompt=m.needs_prompt,
            per_second={tier: Money.of(v) for tier, v in m.per_second_micros.items()},
        )
        for m in state.services.catalog.video_models.values()
    ]


@router.get("/assets/{asset_id}/poster", responses=error_responses(401, 404, 422))
async def poster(asset_id: str, user: UserDep, state: StateDep) -> Response:
    """A video asset's poster frame (JPEG)."""
    asset = await state.persistence.library.get(user.user_id, asset_id)
    if asset.poster_key is None:
        raise NotFound("this asset has no poster frame", field="asset_id")
    try:
        frame = await state.persistence.store.read(asset.poster_key)
    except (InvalidRequest, FileNotFoundError) as exc:
        raise NotFound("the poster frame of this asset is missing") from exc
    return Response(frame, media_type="image/jpeg", headers={
        "Cache-Control": "private, max-age=3600", **NOSNIFF,
        "Content-Disposition": f'inline; filename="{safe_filename(asset.id)}-poster.jpg"'})



