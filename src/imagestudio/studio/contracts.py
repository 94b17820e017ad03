"""What an operation module gives the workflow, and what the workflow gives back.

A module (image generation today; edit, upscale, optimize and video next) is an
:class:`OperationModule`: a :class:`Planner` that turns a request into a :class:`Priced`
plan without side effects, and a :class:`Runner` that carries the plan out and reports a
:class:`UnitOutcome` per unit (an image, a clip). The module never touches credits, the
job row or the library; :class:`~imagestudio.studio.workflow.Workflow` does, the same
way for every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from imagestudio.assets.recorder import ImageFile, RecordedAsset
from imagestudio.credits.operations import Operation
from imagestudio.credits.plans import OperationKind
from imagestudio.errors import StudioError

RequestT = TypeVar("RequestT", bound=BaseModel)
RequestT_contra = TypeVar("RequestT_contra", bound=BaseModel, contravariant=True)
PlanT = TypeVar("PlanT")
PlanT_co = TypeVar("PlanT_co", covariant=True)
PlanT_contra = TypeVar("PlanT_contra", contravariant=True)
ResultT = TypeVar("ResultT", bound=BaseModel)
ResultT_co = TypeVar("ResultT_co", bound=BaseModel, covariant=True)


@dataclass(frozen=True)
class JobFields:
    """What the job row records of a plan before it runs (``request`` as JSON)."""

    provider: str
    model: str
    template_id: str | None
    request: dict[str, Any]
    warnings: tuple[str, ...] = ()
    units: int | None = None  # outputs expected, when not the charge's quantity


@dataclass(frozen=True)
class Priced(Generic[PlanT_co]):
    """A plan and its price: ``charge`` is held, ``job`` becomes the job row."""

    plan: PlanT_co
    charge: Operation
    job: JobFields


@dataclass(frozen=True)
class UnitOutcome:
    """How one unit ended. ``output`` is what the vendor delivered, finished (None: the
    unit failed and costs nothing); ``cost_micros`` is what it costs the user (never above
    the held per-unit price) and ``note`` explains the charge in the ledger."""

    index: int
    output: ImageFile | None
    cost_micros: int = 0
    model: str | None = None
    note: str = ""
    error_code: str | None = None
    error_message: str | None = None
    provider: str | None = None

    @property
    def delivered(self) -> bool:
        return self.output is not None


@dataclass(frozen=True)
class RunOutput(Generic[ResultT_co]):
    """A finished run: the module's public ``result`` and one outcome per unit, in order."""

    result: ResultT_co
    units: Sequence[UnitOutcome]


@dataclass(frozen=True)
class UnitEvent:
    """A unit changed state; ``done``/``total`` count finished units (for progress).
    ``message`` says what a started unit is, or why a failed one failed; ``progress``
    (0..1), where a module can tell, how far a started unit is (a clip's frames)."""

    index: int
    status: Literal["started", "succeeded", "failed"]
    done: int
    total: int
    message: str = ""
    progress: float | None = None


UnitListener = Callable[[UnitEvent], None]


class Planner(Protocol[RequestT_contra, PlanT_co]):
    def plan(self, request: RequestT_contra) -> Priced[PlanT_co]:
        """Validate and price ``request`` with no side effects (raises StudioError)."""
        ...


class Runner(Protocol[PlanT_contra, ResultT_co]):
    async def run(
        self, plan: PlanT_contra, *, on_unit: UnitListener | None = None
    ) -> RunOutput[ResultT_co]:
        """Carry out ``plan``; a unit's failure is reported in its outcome, not raised.

        Raises only when nothing can have been delivered (e.g. ProviderNotConfigured
        before any vendor call): the workflow then releases the whole hold.
        """
        ...


Failure = Callable[["Outcome[Any]"], StudioError | None]


def _never_fails(_outcome: Outcome[Any]) -> StudioError | None:
    return None


@dataclass(frozen=True)
class OperationModule(Generic[RequestT, PlanT, ResultT]):
    """One operation kind, pluggable into the workflow.

    ``scope`` names its idempotency keys (a key reused on another endpoint is a 409);
    ``result_type`` reads a stored result back for replays; ``failure`` turns an outcome
    the caller must not treat as success (every unit failed) into the error to raise.
    ``per_request``: the charge's one unit is the whole request, however many outputs
    it delivers (an optimization is one operation whatever its number of renditions):
    the delivered outputs are captured together, at most once.
    """

    kind: OperationKind
    scope: str
    planner: Planner[RequestT, PlanT]
    runner: Runner[PlanT, ResultT]
    result_type: type[ResultT]
    failure: Failure = field(default=_never_fails)
    per_request: bool = False


@dataclass(frozen=True)
class Outcome(Generic[ResultT_co]):
    """What a caller gets: the job id, the module's result, and per unit (aligned with
    the result's units) its output and its asset (None where it failed, or where the
    asset was deleted since, for a replay)."""

    job_id: str
    result: ResultT_co
    outputs: Sequence[ImageFile | None]
    assets: Sequence[RecordedAsset | None]
    replayed: bool = False
