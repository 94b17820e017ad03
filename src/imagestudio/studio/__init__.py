"""The use-case layer: one workflow for every operation kind.

Surfaces (``api``, ``cli``, later job workers) call it; it calls the domain services
(``credits``, ``assets``, ``generation`` …) and nothing calls it from below.

    contracts.py         what a module supplies (Planner, Runner, OperationModule) and gets
                         back (Outcome, UnitOutcome, UnitEvent)
    workflow.py          Workflow: replay → plan → hold → run → record + settle | abort;
                         execute() in one call, or start() / finish() for a job worker
    runs.py              the job table (``generations``): its only writer
    deliveries.py        outputs charged without their asset rows, recorded by the sweep
    sweeper.py           Sweeper: interrupted holds and unrecorded deliveries
    replay.py            an idempotent replay's assets and files
    image_generation.py  the first module: image generation (planner, runner, preflight)
"""

from imagestudio.studio.contracts import (
    JobFields,
    OperationModule,
    Outcome,
    Planner,
    Priced,
    Runner,
    RunOutput,
    UnitEvent,
    UnitOutcome,
)
from imagestudio.studio.sweeper import Sweeper
from imagestudio.studio.workflow import Started, UnrecordedOutcome, Workflow

__all__ = [
    "JobFields",
    "OperationModule",
    "Outcome",
    "Planner",
    "Priced",
    "RunOutput",
    "Runner",
    "Started",
    "Sweeper",
    "UnitEvent",
    "UnitOutcome",
    "UnrecordedOutcome",
    "Workflow",
]
