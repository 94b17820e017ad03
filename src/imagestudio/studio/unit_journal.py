"""The unit journal of one operation run (:class:`imagestudio.providers.journal.UnitJournal`):
a durable "sent" mark per unit, written before its paid vendor request leaves.

Every create has one, a synchronous one as well as a job's (:class:`~.job_live.JobLive`
adds cancellation and events to it). The mark is the unit's ``job_units`` row with
``sent_to`` set: a synchronous create inserts the row at its first send (one prepared
statement, one small transaction per unit), a job updates the row its submit inserted.
A send the vendor answered with an error status, or that never left, clears the mark
(the vendor bills neither). So, whatever stops the process, a marked unit that was not
recorded is one the vendor may have billed: the sweep and the settling workflow book it
as ``vendor_loss`` (released to the user, the house's cost).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from imagestudio.db.prepared import Prepared
from imagestudio.db.session import Database
from imagestudio.providers.errors import ProviderOutcomeUnknown
from imagestudio.studio import job_rows
from imagestudio.studio.job_rows import UnitRow

_COLUMNS = ("job_id", "idx", "state", "message", "sent_to", "vendor_job_id")
_INSERT = Prepared(insert(job_rows.UNITS), _COLUMNS)


class SendJournal:
    """The "sent" marks of one run of operation ``operation_id``.

    ``has_rows``: every unit has its row already (a job's, inserted with its hold);
    otherwise (a synchronous create) a unit's row is inserted when it is first sent.
    ``units`` are the rows a previous process left (a recovered job's).
    """

    def __init__(self, db: Database, operation_id: str, *, has_rows: bool = False,
                 units: Sequence[UnitRow] = ()) -> None:
        self._db = db
        self.operation_id = operation_id
        self._has_rows = has_rows
        # A unit a previous process sent without a vendor job id: its outcome is unknown.
        self._unknown = {u.index for u in units if u.sent_to and not u.vendor_job_id}
        self._resume = {(u.index, u.sent_to): u.vendor_job_id for u in units
                        if u.sent_to and u.vendor_job_id}
        self._marked = {u.index for u in units if u.sent_to}
        self._inserted: set[int] = set()

    def refusal(self, unit: int) -> Exception | None:  # noqa: ARG002 - never refused
        return None

    async def sending(self, unit: int, provider: str) -> None:
        if unit in self._unknown:
            raise ProviderOutcomeUnknown(
                f"sent to {provider} before the server restarted and its outcome is unknown; "
                "it is not sent again (and not charged)", provider=provider,
            )
        if unit in self._marked:  # marked already (a resumed vendor job)
            return
        await self._db.write(lambda conn: self._mark(conn, unit, provider))
        self._marked.add(unit)

    def _mark(self, conn: Connection, unit: int, provider: str) -> None:
        if self._has_rows or unit in self._inserted:
            job_rows.set_unit(conn, self.operation_id, unit, sent_to=provider)
            return
        _INSERT.run(conn, {"job_id": self.operation_id, "idx": unit, "state": "running",
                           "message": "", "sent_to": provider, "vendor_job_id": None})
        self._inserted.add(unit)

    async def unbilled(self, unit: int, provider: str) -> None:  # noqa: ARG002
        if unit not in self._marked or unit in self._unknown:
            return
        self._marked.discard(unit)
        await self._db.write(lambda conn: job_rows.set_unit(
            conn, self.operation_id, unit, sent_to=None, vendor_job_id=None))

    async def vendor_job(self, unit: int, provider: str, job_id: str) -> None:
        await self._db.write(lambda conn: job_rows.set_unit(
            conn, self.operation_id, unit, sent_to=provider, vendor_job_id=job_id[:200]
        ))

    def resume_job(self, unit: int, provider: str) -> str | None:
        return self._resume.pop((unit, provider), None)

    def lost(self, delivered: Iterable[int]) -> int:
        """How many units were sent (so may be billed) but are not in ``delivered``."""
        return len(self._marked.difference(delivered))
