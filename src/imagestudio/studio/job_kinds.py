"""What the job runner needs of an operation kind beyond its module: how to read a stored
request back, and what to fix in it before it is stored (so a resumed job re-plans to
the same plan: the seeds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from imagestudio.generation.planner import GenerationPlan
from imagestudio.generation.schemas import CreateRequest
from imagestudio.studio.contracts import OperationModule, Priced
from imagestudio.studio.image_generation import ImageGeneration


@dataclass(frozen=True)
class JobKind:
    """``stored`` turns a request and its plan into the JSON a resumed job re-plans from."""

    module: OperationModule[Any, Any, Any]
    request_type: type[BaseModel]
    stored: Callable[[Any, Priced[Any]], dict[str, Any]]

    @property
    def name(self) -> str:
        return self.module.kind


def _generation_request(request: CreateRequest, priced: Priced[GenerationPlan]) -> dict[str, Any]:
    plan = priced.plan
    fields = set(CreateRequest.model_fields)  # without the surface's own fields
    fixed = CreateRequest.model_validate(request.model_dump(include=fields))
    if fixed.seed is None and plan.primary.sends_seed:
        fixed = fixed.model_copy(update={"seed": plan.seeds[0]})
    return fixed.model_dump(mode="json", exclude_defaults=True)


def image_generation_job(module: ImageGeneration) -> JobKind:
    return JobKind(module, CreateRequest, _generation_request)
