"""All credit SQL. Writes are plain functions over a :class:`Connection` and run inside a
transaction the caller owns (``Database.write``: the SQLite writer thread, or an asyncpg
transaction); they never commit.

Every limit is enforced by a conditional UPDATE (``... WHERE value + :n <= :limit``,
``... WHERE balance - held >= :q``) whose returned row says whether it applied, so two
requests can never both take the last unit: PostgreSQL re-checks the condition after
waiting for the row lock, and SQLite runs one writer at a time. Each write transaction
starts with a write, so SQLite takes its write lock before reading anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from imagestudio.credits.operations import Capture
from imagestudio.credits.statements import Statements, for_dialect
from imagestudio.db.credit_models import (
    CreditHold,
    IdempotencyKey,
    LedgerEntry,
)

_BUMP_ATTEMPTS = 20


@dataclass(frozen=True)
class Posting:
    """One ledger row to append; the account's new totals are filled in by :func:`append`."""

    kind: str
    amount: int
    held: int
    actor: str
    note: str = ""
    operation: str | None = None
    quantity: int | None = None
    hold_id: str | None = None
    generation_id: str | None = None
    asset_id: str | None = None
    model: str | None = None


def _sql(conn: Connection) -> Statements:
    return for_dialect(conn.dialect.name)


def bump(
    conn: Connection, user_id: str, period: str, metric: str, n: int, limit: int | None
) -> tuple[bool, int]:
    """Add ``n`` to a usage counter unless that passes ``limit`` (None: no limit).

    Returns (applied, value): the new value when applied, else the current one. On
    PostgreSQL a row another transaction has just created (or just lowered) may be
    invisible to the UPDATE yet visible to the next statement, so the UPDATE is retried.
    """
    sql = _sql(conn)
    key = {"u": user_id, "p": period, "m": metric}
    for _ in range(_BUMP_ATTEMPTS):
        if limit is None:
            row = sql.bump.first(conn, {**key, "n": n})
        else:
            row = sql.bump_limited.first(conn, {**key, "n": n, "lim": limit})
        if row is not None:
            return True, int(row[0])
        found = sql.counter.first(conn, key)
        current = None if found is None else found[0]
        if current is None:
            if limit is not None and n > limit:
                return False, 0
            created = sql.counter_insert.run(
                conn, {"user_id": user_id, "period": period, "metric": metric, "value": n}
            )
            if created == 1:
                return True, n
        elif limit is not None and current + n > limit:
            return False, int(current)
    raise RuntimeError(f"usage counter {metric} kept changing under update")  # pragma: no cover


def unbump(conn: Connection, user_id: str, period: str, metric: str, n: int) -> None:
    """Give back ``n`` units reserved by :func:`bump` (released, never delivered)."""
    if n:
        _sql(conn).unbump.run(conn, {"u": user_id, "p": period, "m": metric, "n": n})


def reserve(
    conn: Connection, user_id: str, amount: int, now: dt.datetime
) -> tuple[int, int] | None:
    """Hold ``amount`` if the available balance covers it: (balance, held) after, or None."""
    row = _sql(conn).reserve.first(conn, {"u": user_id, "q": amount, "now": now})
    return None if row is None else (int(row[0]), int(row[1]))


def move(
    conn: Connection,
    user_id: str,
    amount: int,
    held: int,
    now: dt.datetime,
    *,
    floor: int | None = None,
) -> tuple[int, int] | None:
    """Add ``amount`` to the balance and ``held`` to the hold total, creating the account
    if needed; with ``floor``, only if ``balance - held`` stays >= it. Returns the new
    (balance, held), or None when the floor refused it."""
    sql = _sql(conn)
    params: dict[str, Any] = {"u": user_id, "a": amount, "h": held, "now": now}
    if floor is None:
        row = sql.move.first(conn, params)
    else:
        row = sql.move_floor.first(conn, {**params, "floor": floor})
    return None if row is None else (int(row[0]), int(row[1]))


def append(
    conn: Connection,
    user_id: str,
    postings: Sequence[Posting],
    after: tuple[int, int],
    now: dt.datetime,
) -> None:
    """Append ``postings`` (in order) given the account totals ``after`` all of them."""
    if not postings:
        return
    balance = after[0] - sum(p.amount for p in postings)
    held = after[1] - sum(p.held for p in postings)
    rows: list[dict[str, Any]] = []
    for p in postings:
        balance, held = balance + p.amount, held + p.held
        rows.append({
            "user_id": user_id, "kind": p.kind, "amount_micros": p.amount,
            "held_micros": p.held, "balance_after_micros": balance, "held_after_micros": held,
            "operation": p.operation, "quantity": p.quantity, "hold_id": p.hold_id,
            "generation_id": p.generation_id, "asset_id": p.asset_id, "model": p.model,
            "note": p.note, "actor": p.actor, "created_at": now,
        })
    _sql(conn).ledger_insert.run_many(conn, rows)


def account(conn: Connection, user_id: str) -> tuple[int, int]:
    row = _sql(conn).account.first(conn, {"u": user_id})
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def counters(conn: Connection, user_id: str, period: str) -> dict[str, int]:
    rows = conn.execute(_sql(conn).period_counters, {"u": user_id, "p": period})
    return {metric: int(value) for metric, value in rows}


# ---- holds --------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldRow:
    id: str
    user_id: str
    operation: str
    generation_id: str | None
    quantity: int
    per_unit_micros: int
    amount_micros: int
    period: str


def insert_hold(conn: Connection, hold: HoldRow, now: dt.datetime) -> None:
    _sql(conn).hold_insert.run(conn, {
        "id": hold.id, "user_id": hold.user_id, "operation": hold.operation,
        "generation_id": hold.generation_id, "quantity": hold.quantity,
        "per_unit_micros": hold.per_unit_micros, "amount_micros": hold.amount_micros,
        "period": hold.period, "status": "open", "delivered": 0, "captured_micros": 0,
        "released_micros": 0, "created_at": now, "settled_at": None,
    })


def close_hold(
    conn: Connection, hold: HoldRow, delivered: int, captured: int, now: dt.datetime
) -> bool:
    """Mark an open hold settled; False when it was settled already (by a sweep)."""
    done = _sql(conn).hold_close.run(conn, {
        "hid": hold.id, "d": delivered, "c": captured, "r": hold.amount_micros - captured,
        "now": now,
    })
    return done == 1


def settle_hold(
    conn: Connection, hold: HoldRow, captures: Sequence[Capture], now: dt.datetime, actor: str,
    *, lost: int = 0, release_note: str = "",
) -> bool:
    """Capture ``captures`` from ``hold`` and release the rest, once (``release_note``
    says why the released part was not charged).

    Gives back the quota of undelivered units and the spend not captured. ``lost`` units
    were sent to the vendor (and so are taken as billed) but never delivered: their share
    of the hold (the held per-unit price each) is released to the user in a ``vendor_loss``
    row, the house's cost, so an operator report can sum it. Returns False (and changes
    nothing) when the hold was settled before.
    """
    captured = sum(c.micros for c in captures)
    lost = max(0, min(lost, hold.quantity - len(captures)))
    lost_micros = min(lost * hold.per_unit_micros, hold.amount_micros - captured)
    if captured > hold.amount_micros:
        raise ValueError(f"hold {hold.id}: capturing {captured} of {hold.amount_micros}")
    if not close_hold(conn, hold, len(captures), captured, now):
        return False
    released = hold.amount_micros - captured - lost_micros
    unbump(conn, hold.user_id, hold.period, hold.operation, hold.quantity - len(captures))
    unbump(conn, hold.user_id, hold.period, "spend", released + lost_micros)
    if hold.amount_micros == 0:
        return True
    after = move(conn, hold.user_id, -captured, -hold.amount_micros, now)
    assert after is not None
    postings = [
        Posting("capture", -c.micros, -c.micros, actor, note=c.note, operation=hold.operation,
                quantity=1, hold_id=hold.id, generation_id=hold.generation_id,
                asset_id=c.asset_id, model=c.model)
        for c in captures if c.micros
    ]
    if lost_micros:
        postings.append(Posting(
            "vendor_loss", 0, -lost_micros, actor, note=VENDOR_LOSS_NOTE,
            operation=hold.operation, quantity=lost, hold_id=hold.id,
            generation_id=hold.generation_id,
        ))
    if released:
        postings.append(Posting(
            "release", 0, -released, actor, note=release_note, operation=hold.operation,
            quantity=hold.quantity - len(captures) - lost, hold_id=hold.id,
            generation_id=hold.generation_id,
        ))
    append(conn, hold.user_id, postings, after, now)
    return True


VENDOR_LOSS_NOTE = ("sent to the vendor, which bills it, but lost to an interruption: "
                    "not charged to you; the studio bears the vendor's cost")


def stale_holds(conn: Connection, created_before: dt.datetime) -> list[HoldRow]:
    rows = conn.execute(
        select(
            CreditHold.id, CreditHold.user_id, CreditHold.operation, CreditHold.generation_id,
            CreditHold.quantity, CreditHold.per_unit_micros, CreditHold.amount_micros,
            CreditHold.period,
        )
        .where(CreditHold.status == "open", CreditHold.created_at < created_before)
        .order_by(CreditHold.created_at)
    )
    return [HoldRow(*row) for row in rows]


def open_holds(conn: Connection, user_id: str | None = None) -> int:
    query = select(func.count()).select_from(CreditHold).where(CreditHold.status == "open")
    if user_id is not None:
        query = query.where(CreditHold.user_id == user_id)
    return int(conn.scalar(query) or 0)


# ---- idempotency --------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRecord:
    scope: str
    request_hash: str
    status: str
    generation_id: str | None
    response: dict[str, Any] | None


def claim_key(
    conn: Connection, user_id: str, key: str, scope: str, request_hash: str,
    hold_id: str, now: dt.datetime,
) -> bool:
    """Record ``key`` as in progress; False when it is taken (see :func:`key_record`)."""
    done = _sql(conn).key_claim.run(conn, {
        "user_id": user_id, "key": key, "scope": scope, "request_hash": request_hash,
        "status": "in_progress", "hold_id": hold_id, "generation_id": None, "response": None,
        "created_at": now, "completed_at": None,
    })
    return done == 1


def key_record(conn: Connection, user_id: str, key: str) -> KeyRecord | None:
    row = conn.execute(_sql(conn).key_record, {"u": user_id, "k": key}).first()
    return None if row is None else KeyRecord(*row)


def complete_key(
    conn: Connection, user_id: str, key: str, generation_id: str | None,
    response: dict[str, Any], now: dt.datetime,
) -> None:
    _sql(conn).key_complete.run(conn, {
        "u": user_id, "k": key, "g": generation_id, "resp": response, "now": now,
    })


def drop_key(conn: Connection, user_id: str, key: str) -> None:
    """Forget an in-progress key whose request delivered nothing, so a retry runs again."""
    conn.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.status == "in_progress",
        )
    )


def settle_keys_of_hold(
    conn: Connection, hold_id: str, response: dict[str, Any] | None,
    generation_id: str | None, now: dt.datetime,
) -> None:
    """After a sweep: drop the hold's in-progress keys (``response`` None, nothing was
    delivered) or complete them with ``response``."""
    match = (IdempotencyKey.hold_id == hold_id, IdempotencyKey.status == "in_progress")
    if response is None:
        conn.execute(delete(IdempotencyKey).where(*match))
        return
    conn.execute(
        update(IdempotencyKey).where(*match).values(
            status="completed", generation_id=generation_id, response=response,
            completed_at=now,
        )
    )


def expire_keys(conn: Connection, created_before: dt.datetime) -> int:
    done = conn.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.created_at < created_before, IdempotencyKey.status == "completed"
        )
    )
    return int(done.rowcount or 0)


# ---- reads --------------------------------------------------------------------------


def ledger_page(
    conn: Connection, user_id: str, limit: int, before: int | None
) -> list[dict[str, Any]]:
    """Newest first; ``before`` is the id of the last entry of the previous page."""
    table = LedgerEntry.__table__
    query = select(*table.columns).where(table.c.user_id == user_id)
    if before is not None:
        query = query.where(table.c.id < before)
    rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def ledger_sums(conn: Connection, user_id: str) -> tuple[int, int]:
    """(sum of amounts, sum of held changes) over the user's whole ledger."""
    row = conn.execute(
        select(
            func.coalesce(func.sum(LedgerEntry.amount_micros), 0),
            func.coalesce(func.sum(LedgerEntry.held_micros), 0),
        ).where(LedgerEntry.user_id == user_id)
    ).one()
    return int(row[0]), int(row[1])
