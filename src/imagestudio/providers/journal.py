"""The unit journal: how a job runner learns, durably, what a vendor call did for a unit.

A job runner installs a :class:`UnitJournal` (:func:`journal_scope`) around a run; the
generation service marks which unit each task works on (:func:`unit_scope`). Vendor
clients then

* ``await`` :func:`before_paid_send` before every request that creates paid work: the
  journal stores "sent" first (so a restarted runner never sends that unit again when its
  outcome is unknown, and the sweep knows the vendor may have billed it) and may refuse
  the send (the unit was cancelled, or a previous process sent it already);
* ``await`` :func:`after_unbilled_send` when that request was answered with an error
  status or never left (the vendor bills neither): the journal clears the mark;
* ``await`` :func:`record_vendor_job` with the vendor's own job id before polling it, and
  ask :func:`resumable_job` for an id a previous process stored, to poll it instead of
  submitting again.

The studio's workflow installs one for every create, synchronous or job; outside it (a
provider used directly) no journal is installed and every call here is free.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol


class UnitJournal(Protocol):
    async def sending(self, unit: int, provider: str) -> None:
        """Store that ``unit`` sends paid work to ``provider``; raise a StudioError to
        refuse (the request is then not sent)."""
        ...

    async def unbilled(self, unit: int, provider: str) -> None:
        """The send ``sending`` stored was answered with an error status or never left:
        the vendor bills neither, so clear the mark (a retry marks it again)."""
        ...

    async def vendor_job(self, unit: int, provider: str, job_id: str) -> None:
        """Store the vendor's job id for ``unit`` (durably, before polling starts)."""
        ...

    def resume_job(self, unit: int, provider: str) -> str | None:
        """A vendor job id a previous run stored for ``unit``, to poll (given out once)."""
        ...

    def refusal(self, unit: int) -> Exception | None:
        """Why ``unit`` must not start at all (e.g. its job was cancelled), or None."""
        ...


_journal: ContextVar[UnitJournal | None] = ContextVar("imagestudio_unit_journal", default=None)
_unit: ContextVar[int | None] = ContextVar("imagestudio_unit", default=None)


@contextlib.contextmanager
def journal_scope(journal: UnitJournal) -> Iterator[None]:
    """Install ``journal`` for the calls made inside the block (and tasks it starts)."""
    token = _journal.set(journal)
    try:
        yield
    finally:
        _journal.reset(token)


@contextlib.contextmanager
def unit_scope(index: int) -> Iterator[None]:
    """Mark the calls made inside the block as work for unit ``index``."""
    token = _unit.set(index)
    try:
        yield
    finally:
        _unit.reset(token)


def _current() -> tuple[UnitJournal, int] | None:
    journal, unit = _journal.get(), _unit.get()
    if journal is None or unit is None:
        return None
    return journal, unit


def unit_refusal() -> Exception | None:
    current = _current()
    return None if current is None else current[0].refusal(current[1])


async def before_paid_send(provider: str) -> None:
    current = _current()
    if current is not None:
        await current[0].sending(current[1], provider)


async def after_unbilled_send(provider: str) -> None:
    current = _current()
    if current is not None:
        await current[0].unbilled(current[1], provider)


async def record_vendor_job(provider: str, job_id: str) -> None:
    current = _current()
    if current is not None:
        await current[0].vendor_job(current[1], provider, job_id)


def resumable_job(provider: str) -> str | None:
    current = _current()
    return None if current is None else current[0].resume_job(current[1], provider)
