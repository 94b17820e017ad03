"""Plans as data: ``credits/data/plans.yaml`` (or a file named by settings), validated.

A limit is a non-negative integer or the explicit word ``unlimited`` (``None`` in code and
``null`` in JSON); 0 means "none allowed". Quotas are counted per operation kind, never
per provider. A plan's ``models`` list limits only the kinds its ``models_apply_to`` names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.schemas import QualityTier
from imagestudio.datafiles import read_yaml

PLANS_FILE = Path(__file__).parent / "data" / "plans.yaml"

OperationKind = Literal["image_generation", "image_edit", "upscale", "optimize", "video"]
OPERATION_KINDS: tuple[OperationKind, ...] = get_args(OperationKind)
UNLIMITED = "unlimited"


class PlansError(ValueError):
    """The plan table is invalid (a data bug, reported at start-up)."""


def _limit(value: Any) -> Any:
    if value == UNLIMITED:
        return None
    if value is None:
        raise ValueError(f"write '{UNLIMITED}' explicitly; an empty limit is ambiguous")
    return value


Limit = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_limit)]
"""A count or amount; ``None`` is unlimited (written ``unlimited`` in YAML)."""


def _all_or_list(value: Any) -> Any:
    if value == "all":
        return None
    if value is None:
        raise ValueError("write 'all' explicitly, or list the allowed ids")
    return value


AllowList = Annotated[tuple[str, ...] | None, BeforeValidator(_all_or_list)]
"""Allowed ids; ``None`` allows every one (written ``all`` in YAML)."""


class Plan(BaseModel):
    """One plan's prices and limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_-]{1,50}$")
    name: str = Field(min_length=1, max_length=100)
    price_monthly_micros: int = Field(ge=0)
    price_yearly_micros: int = Field(ge=0)
    quotas: dict[OperationKind, Limit]
    spend_cap_micros: Limit
    max_variations: int = Field(ge=1)
    quality_tiers: tuple[QualityTier, ...]
    providers: AllowList
    models: AllowList
    models_apply_to: tuple[OperationKind, ...]
    """The operation kinds ``models`` limits (those that choose a catalog model)."""
    max_pixels: Limit
    rate_limit_per_minute: Limit

    def quota(self, kind: OperationKind) -> int | None:
        return self.quotas[kind]

    def allows_provider(self, provider: str) -> bool:
        return self.providers is None or provider in self.providers

    def allows_model(self, model: str, kind: OperationKind) -> bool:
        """True unless ``kind`` is one the model list limits and ``model`` is not in it."""
        return self.models is None or kind not in self.models_apply_to or model in self.models

    def as_data(self) -> dict[str, Any]:
        """This plan as plans.yaml writes it (``unlimited``/``all`` spelled out)."""
        data = self.model_dump(mode="json")
        for key in ("spend_cap_micros", "max_pixels", "rate_limit_per_minute"):
            data[key] = UNLIMITED if data[key] is None else data[key]
        for key in ("providers", "models"):
            data[key] = "all" if data[key] is None else data[key]
        data["quotas"] = {k: UNLIMITED if v is None else v for k, v in data["quotas"].items()}
        return data


@dataclass(frozen=True)
class PlanTable:
    """Every plan, by exact id (the value stored in ``users.plan``)."""

    plans: Mapping[str, Plan]

    def get(self, plan_id: str) -> Plan | None:
        return self.plans.get(plan_id)

    def __contains__(self, plan_id: object) -> bool:
        return plan_id in self.plans

    def __iter__(self) -> Iterator[Plan]:
        return iter(self.plans.values())

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.plans)


def parse_plans(items: Any, *, source: str = "plans") -> PlanTable:
    """Validate raw plan data (a list of mappings); raise :class:`PlansError`."""
    if not isinstance(items, list) or not items:
        raise PlansError(f"{source}: expected a non-empty list of plans")
    plans: dict[str, Plan] = {}
    for index, item in enumerate(items):
        try:
            plan = Plan.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise PlansError(f"{source}[{index}].{where}: {first['msg']}") from None
        if plan.id in plans:
            raise PlansError(f"{source}: plan id {plan.id!r} is defined twice")
        missing = set(OPERATION_KINDS) - set(plan.quotas)
        if missing:
            raise PlansError(f"{source}: plan {plan.id} has no quota for {sorted(missing)}")
        if len(set(plan.models_apply_to)) != len(plan.models_apply_to):
            raise PlansError(f"{source}: plan {plan.id} names a kind twice in models_apply_to")
        plans[plan.id] = plan
    return PlanTable(MappingProxyType(plans))


def check_against(table: PlanTable, catalog: Catalog) -> None:
    """Every provider and model a plan names must exist in ``catalog``."""
    for plan in table:
        for provider in plan.providers or ():
            if provider not in catalog.providers:
                raise PlansError(f"plan {plan.id}: unknown provider {provider!r}")
        for model in plan.models or ():
            if model not in catalog.models and model not in catalog.video_models:
                raise PlansError(f"plan {plan.id}: unknown model {model!r}")


def load_plans(path: Path | None = None, *, catalog: Catalog | None = None) -> PlanTable:
    """Load the plan table from ``path`` (default: the packaged one) and cross-check it."""
    source = path or PLANS_FILE
    try:
        items = read_yaml(source)
    except (OSError, yaml.YAMLError) as exc:
        raise PlansError(f"cannot read plans from {source}: {exc}") from exc
    table = parse_plans(items, source=source.name)
    if catalog is not None:
        check_against(table, catalog)
    return table
