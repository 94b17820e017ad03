"""The one workflow every operation goes through: replay → plan → hold → run → record and
settle (or abort).

:meth:`Workflow.execute` runs it in one call (the API's synchronous create, the CLI).
A job worker splits it: :meth:`Workflow.start` commits the hold and the ``running`` job
row (plus the caller's ``also`` work, e.g. an outbox row, in the same transaction) and
returns a :class:`Started`; :meth:`Workflow.finish` runs and settles it later.

The money invariant: what a vendor delivered is stored, recorded and captured together.
If that transaction fails, whatever the cause, the capture still happens in a transaction
of its own, with one ``deliveries`` row per stored output that the next sweep turns into
an asset row (:mod:`imagestudio.studio.deliveries`); the caller gets
:class:`UnrecordedOutcome`. A paid delivery is never released.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from imagestudio.accounts.auth import Principal
from imagestudio.assets.recorder import AssetRecorder, NewAsset, new_asset
from imagestudio.assets.store import AssetStore, StoredFile
from imagestudio.credits.idempotency import keyed
from imagestudio.credits.operations import Capture, units
from imagestudio.credits.reports import CreditReports
from imagestudio.credits.schemas import CreditCheckPublic
from imagestudio.credits.service import CreditsService, Hold, Replay
from imagestudio.db.base import new_id
from imagestudio.errors import RecordingFailed, StudioError
from imagestudio.providers.journal import journal_scope
from imagestudio.studio import runs
from imagestudio.studio.contracts import (
    OperationModule,
    Outcome,
    PlanT,
    Priced,
    RequestT,
    ResultT,
    UnitListener,
    UnitOutcome,
)
from imagestudio.studio.deliveries import delivery_row, insert_deliveries
from imagestudio.studio.replay import load_assets
from imagestudio.studio.unit_journal import SendJournal

log = logging.getLogger("imagestudio.studio")

HoldWork = Callable[[Connection], None]
# Work a caller adds to the recording transaction, given the outcome it records (a job's
# end: its state, terminal event and webhooks commit with the outcome, in one write).
Ending = Callable[["Outcome[Any]"], Awaitable[HoldWork]]
T = TypeVar("T")


@dataclass(frozen=True)
class Started(Generic[PlanT]):
    """A job whose hold and ``running`` row are committed; :meth:`Workflow.finish` it."""

    job_id: str
    user_id: str
    priced: Priced[PlanT]
    hold: Hold
    per_request: bool = False


class UnrecordedOutcome(RecordingFailed):
    """Outputs delivered and charged, not yet in the library; ``outcome`` has them
    (without assets), so a caller holding the bytes can still hand them over."""

    def __init__(self, message: str, outcome: Outcome[Any], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.outcome = outcome


class Workflow:
    """Runs any :class:`OperationModule` for a caller; one instance serves every kind."""

    def __init__(
        self,
        credits: CreditsService,
        reports: CreditReports,
        recorder: AssetRecorder,
        store: AssetStore,
    ) -> None:
        self._credits = credits
        self._reports = reports
        self._recorder = recorder
        self._store = store
        self._db = credits.db
        self._clock = credits.clock

    async def execute(
        self,
        module: OperationModule[RequestT, PlanT, ResultT],
        principal: Principal,
        request: RequestT,
        *,
        idempotency_key: str | None = None,
        scope: str | None = None,
        on_unit: UnitListener | None = None,
    ) -> Outcome[ResultT]:
        """Run ``request`` for ``principal`` to the end and return what it delivered.

        Raises the planner's StudioErrors, the credit checks' (402/403/429; 409 for a
        reused ``idempotency_key``), the runner's (nothing delivered, hold released),
        :class:`UnrecordedOutcome` (delivered and charged, recorded by the next sweep)
        and ``module.failure``'s error for an outcome that is no success (every unit
        failed: recorded, costs nothing). A keyed retry replays the first outcome.
        """
        started = await self.start(
            module, principal, request, idempotency_key=idempotency_key, scope=scope
        )
        if isinstance(started, Started):
            outcome = await self.finish(module, started, on_unit=on_unit)
        else:
            outcome = started
        error = module.failure(outcome)
        if error is not None:
            raise error
        return outcome

    async def check(
        self, module: OperationModule[RequestT, PlanT, ResultT], principal: Principal,
        request: RequestT,
    ) -> tuple[Priced[PlanT], CreditCheckPublic]:
        """The plan of ``request`` and what the credit checks would decide; nothing held."""
        priced = module.planner.plan(request)
        return priced, await self._reports.check(principal, priced.charge)

    async def start(
        self,
        module: OperationModule[RequestT, PlanT, ResultT],
        principal: Principal,
        request: RequestT,
        *,
        idempotency_key: str | None = None,
        scope: str | None = None,
        also: HoldWork | None = None,
        priced: Priced[PlanT] | None = None,
        job_id: str | None = None,
    ) -> Started[PlanT] | Outcome[ResultT]:
        """Plan, check and hold: commits the hold, the ``running`` job row and ``also``.

        ``priced`` is ``request``'s plan when the caller made it already (a job stores
        what it fixed, e.g. the seeds); ``job_id`` names the job (``also`` may need it).
        Returns the stored first outcome instead when the key was used before.
        """
        key = keyed(principal.user_id, idempotency_key, scope or module.scope, request)
        replay = await self._credits.replay(key)
        if replay is not None:
            return await self._replayed(module, principal, replay)
        priced = priced or module.planner.plan(request)
        job_id, now, charge = job_id or new_id(), self._clock(), priced.charge

        def subject(conn: Connection) -> None:
            runs.insert_running(conn, job_id, principal.user_id, priced.job,
                                priced.job.units or charge.quantity, charge.total_micros, now)
            if also is not None:
                also(conn)

        began = await self._credits.begin(
            principal, charge, keyed=key, subject=subject, subject_id=job_id
        )
        if isinstance(began, Replay):
            return await self._replayed(module, principal, began)
        return Started(job_id, principal.user_id, priced, began, module.per_request)

    async def finish(
        self,
        module: OperationModule[RequestT, PlanT, ResultT],
        started: Started[PlanT],
        *,
        on_unit: UnitListener | None = None,
        journal: SendJournal | None = None,
        ending: Ending | None = None,
    ) -> Outcome[ResultT]:
        """Run a started job, then record and settle it (shielded: once the vendor has
        delivered, cancelling the caller does not stop the charge and the recording).

        Every paid vendor request is marked "sent" in ``journal`` first (a job's; a
        synchronous create gets its own): a unit sent but not delivered is settled as
        ``vendor_loss``, released to the user, the house's cost.

        ``ending``'s work commits with the recording: returning normally means both
        did; any exception means it did not.
        """
        journal = journal or SendJournal(self._db, started.job_id)
        try:
            with journal_scope(journal):
                ran = await module.runner.run(started.priced.plan, on_unit=on_unit)
        except BaseException as exc:
            await self._abort(started, exc, lost=journal.lost(()))
            raise
        return await asyncio.shield(
            self._record(module, started, ran.result, ran.units, journal, ending)
        )

    async def _record(
        self, module: OperationModule[RequestT, PlanT, ResultT], started: Started[PlanT],
        result: ResultT, outcomes: Sequence[UnitOutcome], journal: SendJournal,
        ending: Ending | None,
    ) -> Outcome[ResultT]:
        delivered = [u for u in outcomes if u.output is not None]
        lost = journal.lost(u.index for u in delivered)
        stored = await self._recorder.store([u.output for u in delivered if u.output])
        files = [s if isinstance(s, StoredFile) else None for s in stored]
        outputs = [u.output for u in outcomes]
        if None in files:
            error = next(s for s in stored if isinstance(s, BaseException))
            log.error("job %s: %d delivered output(s) could not be stored", started.job_id,
                      files.count(None), exc_info=error)
        else:
            assets = self._assets(started, delivered, files)
            outcome = Outcome(started.job_id, result, outputs,
                              _aligned(outcomes, [a.recorded for a in assets]))
            recording = self._recording(started, result, outcomes, assets, lost)
            also = None if ending is None else await ending(outcome)
            try:
                await self._db.write(recording if also is None else _both(recording, also))
            except Exception as exc:  # noqa: BLE001 - whatever the cause: salvage below
                if not delivered:
                    await self._abort(started, exc, lost=lost)
                    raise
                log.exception("job %s: recording failed; capturing its deliveries alone",
                              started.job_id)
            else:
                return outcome
        await self._salvage(started, outcomes, delivered, files, lost)
        raise UnrecordedOutcome(
            f"{units(module.kind, len(delivered))} were delivered and charged but could not "
            f"be saved to your library yet; the next sweep adds them (job {started.job_id})",
            Outcome(started.job_id, result, outputs, [None] * len(outcomes)),
            details={"generation_id": started.job_id, "delivered": len(delivered)},
        )

    def _assets(self, started: Started[Any], delivered: Sequence[UnitOutcome],
                files: Sequence[StoredFile | None]) -> list[NewAsset]:
        now = self._clock()
        assets: list[NewAsset] = []
        for unit, file in zip(delivered, files, strict=True):
            assert unit.output is not None and file is not None
            output = unit.output
            assets.append(new_asset(
                started.user_id, started.job_id, unit.index, file, media_type=output.media_type,
                width=output.width, height=output.height, metadata=output.metadata, now=now,
            ))
        return assets

    def _recording(
        self, started: Started[Any], result: ResultT, outcomes: Sequence[UnitOutcome],
        assets: Sequence[NewAsset], lost: int,
    ) -> HoldWork:
        """Record the job's outcome, its assets and its charge in one transaction."""
        delivered = [u for u in outcomes if u.output is not None]
        captures = self._captures(started, delivered, [a.row["id"] for a in assets])
        response: dict[str, Any] = {}  # what a keyed retry replays (only keys need it)
        if started.hold.keyed is not None:
            response = {
                "generation_id": started.job_id,
                "result": result.model_dump(mode="json"),
                "asset_ids": _aligned(outcomes, [a.row["id"] for a in assets]),
            }

        def work(conn: Connection) -> None:
            runs.finish(conn, started.job_id, outcomes)
            self._recorder.insert(conn, assets)
            self._credits.settle(conn, started.hold, captures, response=response, lost=lost,
                                 release_note=_release_note(outcomes))

        return work

    def _capture(self, started: Started[Any], unit: UnitOutcome, asset_id: str | None) -> Capture:
        held = started.hold.row.per_unit_micros
        return Capture(min(unit.cost_micros, held), asset_id, unit.model, unit.note)

    def _captures(
        self, started: Started[Any], delivered: Sequence[UnitOutcome],
        asset_ids: Sequence[str | None],
    ) -> list[Capture]:
        """One capture per delivered unit; for a per-request module one in all (the
        first output's asset, the units' costs together, never above the hold)."""
        captures = [self._capture(started, u, a)
                    for u, a in zip(delivered, asset_ids, strict=True)]
        if not started.per_request or not captures:
            return captures
        total = min(sum(c.micros for c in captures), started.hold.row.amount_micros)
        first = captures[0]
        note = f"{len(captures)} outputs" + (f"; {first.note}" if first.note else "")
        return [Capture(total, first.asset_id, first.model, note)]

    async def _salvage(
        self, started: Started[Any], outcomes: Sequence[UnitOutcome],
        delivered: Sequence[UnitOutcome], files: Sequence[StoredFile | None], lost: int,
    ) -> None:
        """Capture ``delivered`` without their asset rows, writing a ``deliveries`` row per
        stored file; retried without the outputs' metadata if the database refuses it."""
        captures = self._captures(started, delivered, [None] * len(delivered))
        response = {"interrupted": {"delivered": len(delivered)}}
        cost = sum(c.micros for c in captures)

        def work(with_details: bool) -> HoldWork:
            now = self._clock()
            rows = [
                delivery_row(started.user_id, started.job_id, started.hold.row.id, u.index, f,
                             u.output, now, with_details=with_details)
                for u, f in zip(delivered, files, strict=True)
                if f is not None and u.output is not None
            ]

            def salvage(conn: Connection) -> None:
                insert_deliveries(conn, rows)
                self._credits.settle(conn, started.hold, captures, response=response,
                                     lost=lost)
                runs.unrecorded(conn, started.job_id, len(delivered), len(outcomes), cost)

            return salvage

        try:
            await self._db.write(work(with_details=True))
        except Exception:  # noqa: BLE001 - retry with only what the studio controls
            log.exception("job %s: capturing with delivery metadata failed; retrying without",
                          started.job_id)
            try:
                await self._db.write(work(with_details=False))
            except Exception:
                log.critical("job %s: hold %s could not be captured; stored files: %s",
                             started.job_id, started.hold.row.id,
                             [f.key for f in files if f is not None])
                raise

    async def _abort(self, started: Started[Any], error: BaseException, *,
                     lost: int = 0) -> None:
        if isinstance(error, StudioError):
            failure = {"code": error.code, "message": error.message}
        else:
            failure = {"code": "internal_error", "message": "the request did not finish"}
        try:
            await self._credits.abort(
                started.hold, also=lambda conn: runs.fail(conn, started.job_id, failure),
                lost=lost,
            )
        except Exception:  # the sweep releases it later; the original error matters more
            log.exception("could not release credit hold %s", started.hold.row.id)

    async def _replayed(
        self, module: OperationModule[RequestT, PlanT, ResultT], principal: Principal,
        replay: Replay,
    ) -> Outcome[ResultT]:
        response = replay.response
        outputs, assets = await load_assets(
            self._db, self._store, principal.user_id, response["asset_ids"]
        )
        result = module.result_type.model_validate(response["result"])
        return Outcome(response["generation_id"], result, outputs, assets, replayed=True)


def _both(first: HoldWork, then: HoldWork) -> HoldWork:
    def work(conn: Connection) -> None:
        first(conn)
        then(conn)

    return work


def _aligned(outcomes: Sequence[UnitOutcome], per_delivered: Sequence[T]) -> list[T | None]:
    """``per_delivered`` (one value per delivered unit, in order) aligned with ``outcomes``."""
    values = iter(per_delivered)
    return [next(values) if u.output is not None else None for u in outcomes]


def _release_note(outcomes: Sequence[UnitOutcome]) -> str:
    """Why the units that delivered nothing cost nothing, for the ledger's release."""
    failed = [f"unit {u.index}: {u.error_message or u.error_code or 'failed'}"
              for u in outcomes if u.output is None]
    return "; ".join(failed)[:1000]
