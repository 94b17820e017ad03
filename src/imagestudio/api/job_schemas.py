"""The job shapes of the HTTP API and how a stored job becomes one."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, Field

from imagestudio.api.deps import ApiState
from imagestudio.money import Money
from imagestudio.studio.job_rows import JobRow, UnitRow

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
UnitState = Literal["pending", "running", "succeeded", "failed"]


class JobErrorPublic(BaseModel):
    code: str
    message: str


class UnitPublic(BaseModel):
    index: int
    state: UnitState
    message: str = ""


class ProgressPublic(BaseModel):
    total: int
    done: int = Field(description="Units finished, succeeded or failed.")
    succeeded: int
    failed: int
    units: list[UnitPublic] | None = Field(
        default=None, description="Per unit (on GET /jobs/{id} only)."
    )


class JobLinks(BaseModel):
    self: str
    events: str
    cancel: str


class JobPublic(BaseModel):
    id: str
    kind: str
    state: JobState
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress: ProgressPublic
    quote: Money = Field(description="What was held when the job was accepted.")
    cost: Money = Field(description="What was charged (final once the job has ended).")
    warnings: list[str]
    error: JobErrorPublic | None
    result: dict[str, Any] | None = Field(
        description="The operation's result (for image generation: the create response, "
        "each delivered variation with its asset_id and signed url; for a transform: the "
        "clip's facts with its asset_id and signed url; for an edit or an upscale: its facts "
        "with the new image's asset_id and signed url; for an optimization: the "
        "optimize response, each rendition with its asset_id and signed url, and set_id)."
    )
    links: JobLinks


class JobsPublic(BaseModel):
    jobs: list[JobPublic]
    next_cursor: str | None


def job_public(state: ApiState, http: Request, row: JobRow, units: list[UnitRow], *,
               detail: bool = True) -> JobPublic:
    """``row`` as the API shows it; ``detail`` lists every unit (GET /jobs/{id})."""
    base = f"/api/image-studio/jobs/{row.id}"
    return JobPublic(
        id=row.id, kind=row.kind, state=row.state,
        cancel_requested=row.cancel_requested, created_at=row.created_at,
        started_at=row.started_at, finished_at=row.finished_at,
        progress=_progress(row, units, detail), quote=Money.of(row.quote_micros),
        cost=Money.of(row.cost_micros), warnings=list(row.warnings or []),
        error=JobErrorPublic(**row.error) if row.error else None,
        result=_result(state, http, row), links=JobLinks(
            self=base, events=f"{base}/events", cancel=f"{base}/cancel"),
    )


def _progress(row: JobRow, units: list[UnitRow], detail: bool) -> ProgressPublic:
    succeeded = sum(u.state == "succeeded" for u in units)
    failed = sum(u.state == "failed" for u in units)
    listed = [UnitPublic(index=u.index, state=u.state, message=u.message)
              for u in units]
    return ProgressPublic(total=row.units_total, done=succeeded + failed, succeeded=succeeded,
                          failed=failed, units=listed if detail else None)


def _result(state: ApiState, http: Request, row: JobRow) -> dict[str, Any] | None:
    if row.result is None:
        return None
    result = dict(row.result["result"])
    assets = row.result.get("assets") or []
    variations = []
    for variation, asset in zip(result.get("variations") or [], assets, strict=False):
        if asset is not None:
            variation = {**variation, "asset_id": asset["id"],
                         "url": state.file_url(http, asset["id"], asset["file_key"])}
        variations.append(variation)
    if variations:
        result["variations"] = variations
    elif "renditions" in result:  # an optimization: each rendition with its file
        result["renditions"] = [
            r if a is None else {**r, "asset_id": a["id"],
                                 "url": state.file_url(http, a["id"], a["file_key"])}
            for r, a in zip(result["renditions"], assets, strict=False)
        ]
        result["set_id"] = row.id
    elif len(assets) == 1 and assets[0] is not None:  # one output (a clip): its file
        asset = assets[0]
        result["asset_id"] = asset["id"]
        result["url"] = state.file_url(http, asset["id"], asset["file_key"])
    result["generation_id"] = row.id
    return result
