"""Video (image → clip) as a studio operation: the planner and runner over
:class:`~imagestudio.video.service.VideoService`.

One unit is one clip, priced per second of output by resolution from the video price
table (local presets: free; Veo and WAN per second at the size tier asked of the vendor)
and counted against the ``video`` quota. A clip that fails to render, or that the vendor
refuses or fails (which it does not bill), is recorded as failed and costs nothing; a
vendor clip cancelled after it was sent is delivered and charged (the vendor bills it)
and its ledger note says so.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from imagestudio.catalog.video_targets import VideoModel
from imagestudio.credits.operations import Operation
from imagestudio.errors import GenerationFailed, StudioError
from imagestudio.providers.journal import unit_refusal, unit_scope
from imagestudio.studio.contracts import (
    JobFields,
    OperationModule,
    Outcome,
    Priced,
    RunOutput,
    UnitEvent,
    UnitListener,
    UnitOutcome,
)
from imagestudio.video.render import Clip
from imagestudio.video.schemas import TransformRequest, TransformResult, VideoPublic
from imagestudio.video.service import VideoPlan, VideoService, video_file

SCOPE = "image-studio.transform"
Transform = OperationModule[TransformRequest, VideoPlan, TransformResult]
log = logging.getLogger("imagestudio.studio")


def charge_of(plan: VideoPlan) -> Operation:
    return Operation(
        kind="video", quantity=1, per_unit_micros=plan.price_micros, quality=None,
        provider=plan.model.provider, model=plan.model.id,
        pixels=plan.target.width * plan.target.height,
    )


class VideoPlanner:
    def __init__(self, service: VideoService) -> None:
        self._service = service

    def plan(self, request: TransformRequest) -> Priced[VideoPlan]:
        return self._priced(request, self._service.plan(request))

    def offers(self, model: VideoModel) -> bool:
        return self._service.offers(model)

    def quote(self, request: TransformRequest, *, has_image: bool) -> Priced[VideoPlan]:
        """The plan and price of ``request`` before its still is sent (the live quote)."""
        return self._priced(request, self._service.plan(request, has_image=has_image))

    def _priced(self, request: TransformRequest, plan: VideoPlan) -> Priced[VideoPlan]:
        job = JobFields(
            provider=plan.model.provider, model=plan.model.id, template_id=None,
            request=request.model_dump(mode="json", exclude_defaults=True)
            | {"image_sha256": request.image_sha256},
            warnings=plan.fitted.warnings,
        )
        return Priced(plan, charge_of(plan), job)


class VideoRunner:
    def __init__(self, service: VideoService) -> None:
        self._service = service

    async def run(
        self, plan: VideoPlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[TransformResult]:
        loop = asyncio.get_running_loop()
        message = f"{_what(plan)} · {plan.target.id} · {plan.fitted.duration_s:g} s"

        def on_frame(done: int, total: int) -> None:  # called on the render thread
            refused = unit_refusal()  # the job was cancelled: stop rendering (free)
            if refused is not None:
                raise refused
            if on_unit is not None:
                event = UnitEvent(0, "started", 0, 1, message, progress=done / total)
                loop.call_soon_threadsafe(on_unit, event)

        if on_unit is not None:
            on_unit(UnitEvent(0, "started", 0, 1, message, progress=0.0))
        try:
            with unit_scope(0):  # the render thread sees the job's journal (its context)
                clip = await self._service.run(plan, on_frame)
                late_cancel = unit_refusal() is not None
        except StudioError as exc:
            return self._failed(plan, on_unit, exc.code, _uncharged(plan, exc))
        except Exception:  # noqa: BLE001 - a render fault fails the unit, costs nothing
            log.exception("rendering a %s clip failed", plan.request.preset)
            return self._failed(plan, on_unit, "render_failed", "the clip could not be rendered")
        await asyncio.sleep(0)  # let queued progress events run before the last one
        if on_unit is not None:
            on_unit(UnitEvent(0, "succeeded", 1, 1, message, progress=1.0))
        unit = UnitOutcome(0, video_file(plan, clip), plan.price_micros, plan.model.id,
                           provider=plan.model.provider, note=_note(plan, late_cancel))
        return RunOutput(_result(plan, clip), [unit])

    def _failed(self, plan: VideoPlan, on_unit: UnitListener | None, code: str,
                message: str) -> RunOutput[TransformResult]:
        if on_unit is not None:
            on_unit(UnitEvent(0, "failed", 1, 1, message))
        unit = UnitOutcome(0, None, provider=plan.model.provider, error_code=code,
                           error_message=message)
        return RunOutput(_result(plan, None, error=message), [unit])


def _what(plan: VideoPlan) -> str:
    return plan.model.name if plan.vendor is not None else plan.request.preset


def _note(plan: VideoPlan, late_cancel: bool) -> str:
    """What the ledger says of a delivered clip's charge."""
    ask = plan.vendor
    if ask is None:
        return "local motion preset (not AI)"
    note = f"{plan.model.name}: {ask.duration_s} s at {ask.resolution}"
    if late_cancel:  # no vendor we call stops the bill of a started job
        note += "; cancelled after it was sent: the vendor billed it, so it was delivered"
    return note


def _uncharged(plan: VideoPlan, error: StudioError) -> str:
    """A failed unit's message, saying what it costs (nothing: a refused or failed
    vendor job is not billed; one whose outcome is unknown is not charged to you)."""
    if plan.vendor is None:
        return error.message
    return f"{error.message} (not charged)"


def _result(plan: VideoPlan, clip: Clip | None, error: str | None = None) -> TransformResult:
    video = None
    warnings = list(plan.fitted.warnings)
    if clip is not None:
        warnings = list(clip.warnings)
        video = VideoPublic(
            width=clip.width, height=clip.height, fps=clip.fps, frame_count=clip.frame_count,
            duration_s=clip.duration_s, codec=clip.codec, size_bytes=len(clip.data),
            has_audio=clip.has_audio,
        )
    return TransformResult(
        success=clip is not None, model=plan.model.id, provider=plan.model.provider,
        target=plan.target.id, preset=_what(plan), ai_generated=plan.model.ai_model,
        label=plan.label, cost_micros=plan.price_micros if clip is not None else 0,
        warnings=warnings, video=video, error=error,
    )


def failure(outcome: Outcome[Any]) -> StudioError | None:
    result: TransformResult = outcome.result
    if result.success:
        return None
    return GenerationFailed(f"the clip could not be made: {result.error}",
                            details={"generation_id": outcome.job_id})


def transform(service: VideoService) -> Transform:
    return OperationModule(
        kind="video", scope=SCOPE, planner=VideoPlanner(service), runner=VideoRunner(service),
        result_type=TransformResult, failure=failure,
    )
