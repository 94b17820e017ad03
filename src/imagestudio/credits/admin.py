"""Operator actions on accounts: grant, refund and adjust credit; show an account.

Each is one transaction that moves the balance and appends its ledger row together.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from imagestudio.credits import repository as repo
from imagestudio.credits.reports import CreditReports
from imagestudio.credits.schemas import CreditsSummary, LedgerEntryPublic
from imagestudio.credits.service import CreditsService
from imagestudio.db.credit_models import LedgerEntry
from imagestudio.db.models import User
from imagestudio.errors import InvalidRequest, NotFound
from imagestudio.money import format_usd

MICROS_PER_USD = 1_000_000
MAX_GRANT_MICROS = 1_000_000 * MICROS_PER_USD
# Every operator amount (grant, refund, adjustment) is at most this in size.
MAX_AMOUNT_MICROS = MAX_GRANT_MICROS


def parse_usd(text: str, *, field: str = "amount") -> int:
    """``"10"``, ``"$2.50"``, ``"-0.000001"`` → micro-USD; at most 6 decimals."""
    cleaned = text.strip().replace(",", "")
    sign = ""
    if cleaned and cleaned[0] in "+-":
        sign, cleaned = cleaned[0], cleaned[1:]
    cleaned = cleaned.removeprefix("$")
    try:
        value = Decimal(sign + cleaned) * MICROS_PER_USD
    except ArithmeticError:  # InvalidOperation, and Overflow for exponents like 1e999999
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidRequest(f"{field} must be a USD amount such as 10 or 2.50", field=field)
    if abs(value) > MAX_AMOUNT_MICROS:
        raise InvalidRequest(
            f"{field} must be at most {format_usd(MAX_AMOUNT_MICROS)} either way", field=field
        )
    if value != value.to_integral_value():
        raise InvalidRequest(f"{field} has more than 6 decimals (1 micro-USD)", field=field)
    return int(value)


class CreditAdmin:
    def __init__(self, credits: CreditsService) -> None:
        self._credits = credits
        self._reports = CreditReports(credits)

    async def user(self, name: str) -> tuple[str, str]:
        """(id, plan) of the user called ``name``; NotFound otherwise."""
        async with self._credits.db.engine.connect() as conn:
            row = (await conn.execute(select(User.id, User.plan).where(User.name == name))).first()
        if row is None:
            raise NotFound(f"no user {name!r}", field="user")
        return row[0], row[1]

    async def grant(self, name: str, micros: int, *, note: str = "", actor: str = "cli"
                    ) -> LedgerEntryPublic:
        """Add ``micros`` (> 0) of credit to user ``name``."""
        if not 0 < micros <= MAX_GRANT_MICROS:
            raise InvalidRequest(
                f"a grant must be more than $0 and at most {format_usd(MAX_GRANT_MICROS)}",
                field="amount",
            )
        return await self._post(name, repo.Posting("grant", micros, 0, actor=actor, note=note))

    async def refund(self, name: str, micros: int, *, note: str, generation_id: str | None,
                     actor: str = "cli") -> LedgerEntryPublic:
        """Return ``micros`` (> 0) of captured spend to user ``name``: at most what was
        captured (of ``generation_id`` when given) and not refunded yet."""
        if not 0 < micros <= MAX_AMOUNT_MICROS:
            raise InvalidRequest(
                f"a refund must be more than $0 and at most {format_usd(MAX_AMOUNT_MICROS)}",
                field="amount",
            )
        posting = repo.Posting("refund", micros, 0, actor=actor, note=note,
                               generation_id=generation_id)
        return await self._post(name, posting, refund_of=generation_id or "")

    async def adjust(self, name: str, micros: int, *, note: str, actor: str = "cli"
                     ) -> LedgerEntryPublic:
        """Correct user ``name``'s balance by ``micros`` (either sign; a reason is required).
        A negative adjustment may not take the available balance below zero."""
        if micros == 0 or abs(micros) > MAX_AMOUNT_MICROS:
            raise InvalidRequest(
                f"an adjustment must not be $0 and at most {format_usd(MAX_AMOUNT_MICROS)} "
                "either way", field="amount",
            )
        if not note.strip():
            raise InvalidRequest("an adjustment needs a note saying why", field="note")
        posting = repo.Posting("adjustment", micros, 0, actor=actor, note=note)
        return await self._post(name, posting, floor=0 if micros < 0 else None)

    async def _post(self, name: str, posting: repo.Posting, *, floor: int | None = None,
                    refund_of: str | None = None) -> LedgerEntryPublic:
        """Post ``posting``; with ``refund_of`` (a generation id, "" for any) only if the
        refund stays within the captured spend not refunded yet."""
        user_id, _ = await self.user(name)
        credits = self._credits

        def work(conn: Connection) -> None:
            now = credits.clock()
            # The balance update locks the account row first, so concurrent refunds of
            # one user are checked one after the other.
            after = repo.move(conn, user_id, posting.amount, posting.held, now, floor=floor)
            if after is None:
                balance, held = repo.account(conn, user_id)
                raise InvalidRequest(
                    f"{format_usd(-posting.amount)} is more than the available balance "
                    f"{format_usd(balance - held)}",
                    field="amount",
                )
            if refund_of is not None:
                refundable = _refundable(conn, user_id, refund_of or None)
                if posting.amount > refundable:
                    what = f"generation {refund_of}" if refund_of else name
                    raise InvalidRequest(
                        f"a refund of {format_usd(posting.amount)} is more than the captured "
                        f"spend of {what} not yet refunded ({format_usd(refundable)})",
                        field="amount",
                    )
            repo.append(conn, user_id, [posting], after, now)

        await credits.db.write(work)
        page = await self._reports.ledger(user_id, limit=1)
        return page.entries[0]

    async def show(self, name: str) -> CreditsSummary:
        user_id, plan = await self.user(name)
        usage = await self._reports.usage(user_id, plan)
        async with self._credits.db.engine.connect() as conn:
            holds = await conn.run_sync(repo.open_holds, user_id)
        return CreditsSummary(user=name, usage=usage, open_holds=holds)


def _refundable(conn: Connection, user_id: str, generation_id: str | None) -> int:
    """Captured minus refunded micros of ``user_id`` (of one generation when given)."""
    table = LedgerEntry.__table__
    query = select(table.c.kind, func.coalesce(func.sum(table.c.amount_micros), 0)).where(
        table.c.user_id == user_id, table.c.kind.in_(("capture", "refund"))
    )
    if generation_id is not None:
        query = query.where(table.c.generation_id == generation_id)
    sums = {kind: int(total) for kind, total in conn.execute(query.group_by(table.c.kind))}
    return -sums.get("capture", 0) - sums.get("refund", 0)
