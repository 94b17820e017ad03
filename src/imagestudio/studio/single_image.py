"""What edit, upscale and optimize share: an operation over one library image.

Each loads its source asset (:func:`load_source`), prices one operation of its kind
(:func:`priced_once`: quantity 1, the job row's provider, model and request JSON),
and, for edit and upscale, runs one render whose vendor failure is a failed unit, not an
exception (:func:`run_one`), and turns a failed result into the error a synchronous call
raises (:func:`failed_with`). The modules keep what differs: their checks, their
result's fields, their prices.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.recorder import ImageFile
from imagestudio.assets.store import AssetStore
from imagestudio.credits.operations import Operation
from imagestudio.credits.plans import OperationKind
from imagestudio.errors import GenerationFailed, StudioError
from imagestudio.providers.errors import ProviderError
from imagestudio.providers.journal import unit_scope
from imagestudio.studio.contracts import (
    JobFields,
    Outcome,
    Priced,
    RunOutput,
    UnitEvent,
    UnitListener,
    UnitOutcome,
)

PlanT = TypeVar("PlanT")
ResultT = TypeVar("ResultT", bound=BaseModel)
SourceT = TypeVar("SourceT", bound=BaseModel)


async def load_source(
    library: AssetLibrary, store: AssetStore | None, owner_id: str, asset_id: str,
    source_type: type[SourceT],
) -> tuple[Any, SourceT]:
    """The asset ``asset_id`` (owned by ``owner_id``; NotFound otherwise) and its source
    image of ``source_type`` (asset_id, sha256, width, height, data). With no ``store``
    only its description is read (``data`` empty: enough to plan and quote, not to run)."""
    asset = await library.get(owner_id, asset_id)
    data = await store.read(asset.file_key) if store is not None else b""
    source = source_type.model_validate({
        "asset_id": asset.id, "sha256": asset.sha256, "width": asset.width,
        "height": asset.height, "data": data,
    })
    return asset, source


def priced_once(
    plan: PlanT, kind: OperationKind, *, price_micros: int, provider: str, model: str,
    pixels: int, request: dict[str, Any], warnings: tuple[str, ...] = (),
    template_id: str | None = None, units: int | None = None,
) -> Priced[PlanT]:
    """``plan`` priced as one ``kind`` operation at ``price_micros``; ``request`` is the
    job row's JSON, ``units`` the outputs expected when not one."""
    charge = Operation(kind=kind, quantity=1, per_unit_micros=price_micros, quality=None,
                       provider=provider, model=model, pixels=pixels)
    job = JobFields(provider=provider, model=model, template_id=template_id, request=request,
                    warnings=warnings, units=units)
    return Priced(plan, charge, job)


async def run_one(
    local: bool, render: Callable[[], tuple[ResultT, ImageFile]],
    render_vendor: Callable[[], Awaitable[tuple[ResultT, ImageFile]]],
    failed: Callable[[ProviderError], ResultT], *, price_micros: int, provider: str,
    model: str, on_unit: UnitListener | None,
) -> RunOutput[ResultT]:
    """One output: ``render`` (local, CPU-bound: in a worker thread) or ``render_vendor``
    (run as unit 0, so a job's unit journal marks the paid send first and a restarted
    job never sends it again); a vendor's error becomes ``failed``'s result and a failed,
    uncharged unit."""
    if on_unit is not None:
        on_unit(UnitEvent(0, "started", 0, 1, model))
    try:
        if local:
            result, output = await asyncio.to_thread(render)
        else:
            with unit_scope(0):
                result, output = await render_vendor()
    except ProviderError as exc:
        if on_unit is not None:
            on_unit(UnitEvent(0, "failed", 1, 1, exc.message))
        return RunOutput(failed(exc), [UnitOutcome(
            index=0, output=None, provider=provider, error_code=exc.code,
            error_message=exc.message,
        )])
    size = f"{getattr(result, 'width', 0)}x{getattr(result, 'height', 0)}"
    if on_unit is not None:
        on_unit(UnitEvent(0, "succeeded", 1, 1, size))
    return RunOutput(result, [UnitOutcome(
        index=0, output=output, cost_micros=price_micros, model=model, provider=provider,
    )])


def failed_with(what: str, detail: str) -> Callable[[Outcome[Any]], StudioError | None]:
    """A module's ``failure``: a result with an ``error`` fails as "the {what} failed",
    its details naming the job, ``detail`` (the result's field of that name) and, for a
    vendor job still running, its ``resume_id``."""
    def failure(outcome: Outcome[Any]) -> StudioError | None:
        result = outcome.result
        if result.error is None:
            return None
        details: dict[str, Any] = {"job_id": outcome.job_id, detail: getattr(result, detail)}
        if result.resume_id:
            details["resume_id"] = result.resume_id
        return GenerationFailed(f"the {what} failed: {result.error}", details=details)
    return failure
