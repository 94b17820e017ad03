"""The hot credit statements, built once per dialect with bound parameters.

The create path runs a dozen of these, so they are built on first use and reused
(:func:`for_dialect`); on the SQLite writer they run as :class:`Prepared` statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from imagestudio.db.base import UTCDateTime, table_of
from imagestudio.db.credit_models import (
    CreditAccount,
    CreditHold,
    IdempotencyKey,
    LedgerEntry,
    UsageCounter,
)
from imagestudio.db.prepared import Prepared

accounts = table_of(CreditAccount)
ledger = table_of(LedgerEntry)
holds = table_of(CreditHold)
counters = table_of(UsageCounter)
keys = table_of(IdempotencyKey)


@dataclass(frozen=True)
class Statements:
    bump: Prepared
    bump_limited: Prepared
    unbump: Prepared
    counter: Prepared
    counter_insert: Prepared
    reserve: Prepared
    move: Prepared
    move_floor: Prepared
    ledger_insert: Prepared
    hold_insert: Prepared
    hold_close: Prepared
    key_claim: Prepared
    key_record: Any
    key_complete: Prepared
    account: Prepared
    period_counters: Any


def _columns(table: Table) -> list[str]:
    """Every column but an autoincrement key (inserted rows give them all)."""
    return [c.name for c in table.columns if c is not table.autoincrement_column]


def _counter_key() -> tuple[Any, ...]:
    return (
        counters.c.user_id == bindparam("u"),
        counters.c.period == bindparam("p"),
        counters.c.metric == bindparam("m"),
    )


def _moves(dialect: Any) -> tuple[Any, Any]:
    now = bindparam("now", type_=UTCDateTime())
    amount: Any = bindparam("a")
    held: Any = bindparam("h")
    upsert = dialect.insert(accounts).values(
        user_id=bindparam("u"), balance_micros=amount, held_micros=held, updated_at=now
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[accounts.c.user_id],
        set_={
            "balance_micros": accounts.c.balance_micros + amount,
            "held_micros": accounts.c.held_micros + held,
            "updated_at": now,
        },
    ).returning(accounts.c.balance_micros, accounts.c.held_micros)
    floor = (
        update(accounts)
        .where(
            accounts.c.user_id == bindparam("u"),
            accounts.c.balance_micros + amount - accounts.c.held_micros - held
            >= bindparam("floor"),
        )
        .values(
            balance_micros=accounts.c.balance_micros + amount,
            held_micros=accounts.c.held_micros + held,
            updated_at=now,
        )
        .returning(accounts.c.balance_micros, accounts.c.held_micros)
    )
    return upsert, floor


@cache
def for_dialect(name: str) -> Statements:
    """The statements for dialect ``name`` (``sqlite`` or ``postgresql``)."""
    dialect: Any = postgresql if name == "postgresql" else sqlite
    n: Any = bindparam("n")
    bump = update(counters).where(*_counter_key()).values(value=counters.c.value + n)
    move, move_floor = _moves(dialect)
    return Statements(
        bump=Prepared(bump.returning(counters.c.value)),
        bump_limited=Prepared(
            bump.where(counters.c.value + n <= bindparam("lim")).returning(counters.c.value)
        ),
        unbump=Prepared(
            update(counters).where(*_counter_key()).values(value=counters.c.value - n)
        ),
        counter=Prepared(select(counters.c.value).where(*_counter_key())),
        counter_insert=Prepared(dialect.insert(counters).on_conflict_do_nothing(),
                                _columns(counters)),
        reserve=Prepared(
            update(accounts)
            .where(
                accounts.c.user_id == bindparam("u"),
                accounts.c.balance_micros - accounts.c.held_micros >= bindparam("q"),
            )
            .values(held_micros=accounts.c.held_micros + bindparam("q"),
                    updated_at=bindparam("now", type_=UTCDateTime()))
            .returning(accounts.c.balance_micros, accounts.c.held_micros)
        ),
        move=Prepared(move),
        move_floor=Prepared(move_floor),
        ledger_insert=Prepared(insert(ledger), _columns(ledger)),
        hold_insert=Prepared(insert(holds), _columns(holds)),
        hold_close=Prepared(
            update(holds)
            .where(holds.c.id == bindparam("hid"), holds.c.status == "open")
            .values(status="settled", delivered=bindparam("d"), captured_micros=bindparam("c"),
                    released_micros=bindparam("r"),
                    settled_at=bindparam("now", type_=UTCDateTime()))
        ),
        key_claim=Prepared(dialect.insert(keys).on_conflict_do_nothing(), _columns(keys)),
        key_record=select(
            keys.c.scope, keys.c.request_hash, keys.c.status, keys.c.generation_id,
            keys.c.response,
        ).where(keys.c.user_id == bindparam("u"), keys.c.key == bindparam("k")),
        key_complete=Prepared(
            update(keys)
            .where(keys.c.user_id == bindparam("u"), keys.c.key == bindparam("k"))
            .values(status="completed", generation_id=bindparam("g"),
                    response=bindparam("resp", type_=keys.c.response.type),
                    completed_at=bindparam("now", type_=UTCDateTime()))
        ),
        account=Prepared(select(accounts.c.balance_micros, accounts.c.held_micros).where(
            accounts.c.user_id == bindparam("u")
        )),
        period_counters=select(counters.c.metric, counters.c.value).where(
            counters.c.user_id == bindparam("u"), counters.c.period == bindparam("p")
        ),
    )
