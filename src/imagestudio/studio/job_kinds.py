"""What the job runner needs of an operation kind beyond its module: how to read a stored
request back, and what to fix in it before it is stored (so a resumed job re-plans to
the same plan: the seeds; for a clip, the still and soundtrack themselves; for an edit,
its source image and mask; for an upscale or an optimization, its source image)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from imagestudio.edit.schemas import EditCall
from imagestudio.generation.planner import GenerationPlan
from imagestudio.generation.schemas import CreateRequest
from imagestudio.optimize.schemas import OptimizeCall
from imagestudio.optimize.upscale import UpscaleCall
from imagestudio.studio.contracts import OperationModule, Priced
from imagestudio.studio.edit import Editing
from imagestudio.studio.image_generation import ImageGeneration
from imagestudio.studio.optimize import Optimization
from imagestudio.studio.upscale import Upscaling
from imagestudio.studio.video import Transform
from imagestudio.video.schemas import TransformRequest


@dataclass(frozen=True)
class JobKind:
    """``stored`` turns a request and its plan into the JSON a resumed job re-plans from."""

    module: OperationModule[Any, Any, Any]
    request_type: type[BaseModel]
    stored: Callable[[Any, Priced[Any]], dict[str, Any]]
    load: Callable[[dict[str, Any]], BaseModel] | None = None

    @property
    def name(self) -> str:
        return self.module.kind

    def restore(self, stored: dict[str, Any]) -> BaseModel:
        """The request a stored job re-plans from (raises pydantic's ValidationError)."""
        if self.load is not None:
            return self.load(stored)
        return self.request_type.model_validate(stored)


def _generation_request(request: CreateRequest, priced: Priced[GenerationPlan]) -> dict[str, Any]:
    plan = priced.plan
    fields = set(CreateRequest.model_fields)  # without the surface's own fields
    fixed = CreateRequest.model_validate(request.model_dump(include=fields))
    if fixed.seed is None and plan.primary.sends_seed:
        fixed = fixed.model_copy(update={"seed": plan.seeds[0]})
    return fixed.model_dump(mode="json", exclude_defaults=True)


def image_generation_job(module: ImageGeneration) -> JobKind:
    return JobKind(module, CreateRequest, _generation_request)


def _transform_request(request: TransformRequest, _priced: Priced[Any]) -> dict[str, Any]:
    """The request with its files (base64): a restarted server re-plans from the row alone."""
    stored = request.model_dump(mode="json", exclude_defaults=True,
                                exclude={"image_sha256", "audio_sha256"})
    if request.image:
        stored["image_b64"] = base64.b64encode(request.image).decode()
    if request.audio:
        stored["audio_b64"] = base64.b64encode(request.audio).decode()
    return stored


def _load_transform(stored: dict[str, Any]) -> TransformRequest:
    fields = dict(stored)
    image = fields.pop("image_b64", None)
    fields["image"] = base64.b64decode(image) if image else None
    audio = fields.pop("audio_b64", None)
    fields["audio"] = base64.b64decode(audio) if audio else None
    return TransformRequest.model_validate(fields)


def video_job(module: Transform) -> JobKind:
    return JobKind(module, TransformRequest, _transform_request, _load_transform)


def _with_source(call: Any) -> dict[str, Any]:
    """A call over one library image as JSON, with its source's bytes (base64), which
    its JSON leaves out: a restarted server re-plans from the row alone."""
    stored: dict[str, Any] = call.model_dump(mode="json")
    stored["source"]["data_b64"] = base64.b64encode(call.source.data).decode()
    return stored


def _source_fields(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored call's fields with its source's bytes back in place."""
    source = dict(stored["source"])
    source["data"] = base64.b64decode(source.pop("data_b64"))
    return {**stored, "source": source}


def _edit_request(call: EditCall, _priced: Priced[Any]) -> dict[str, Any]:
    """The call with its source and mask bytes (base64)."""
    stored = _with_source(call)
    if call.mask is not None:
        stored["mask_b64"] = base64.b64encode(call.mask).decode()
    for reference, image in zip(stored.get("references", []), call.references, strict=True):
        reference["data_b64"] = base64.b64encode(image.data).decode()
    return stored


def _load_edit(stored: dict[str, Any]) -> EditCall:
    fields = _source_fields(stored)
    mask = fields.pop("mask_b64", None)
    fields["references"] = [
        {**{k: v for k, v in r.items() if k != "data_b64"},
         "data": base64.b64decode(r["data_b64"])}
        for r in fields.get("references", [])
    ]
    return EditCall.model_validate({**fields, "mask": base64.b64decode(mask) if mask else None})


def edit_job(module: Editing) -> JobKind:
    return JobKind(module, EditCall, _edit_request, _load_edit)


def _source_request(call: BaseModel, _priced: Priced[Any]) -> dict[str, Any]:
    return _with_source(call)


def upscale_job(module: Upscaling) -> JobKind:
    return JobKind(module, UpscaleCall, _source_request,
                   lambda stored: UpscaleCall.model_validate(_source_fields(stored)))


def optimize_job(module: Optimization) -> JobKind:
    return JobKind(module, OptimizeCall, _source_request,
                   lambda stored: OptimizeCall.model_validate(_source_fields(stored)))
