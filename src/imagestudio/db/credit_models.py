"""Credit tables: accounts, the append-only ledger, holds, usage counters, idempotency keys.

They live with the other tables in ``db`` (the schema is the foundation every layer
works over; Alembic sees it whole); all credit SQL is in :mod:`imagestudio.credits`.

Indexes are kept to what a query needs (every index is one more page written per create).

Money is integer micro-USD everywhere. An account's ``balance_micros`` is the sum of its
ledger rows' ``amount_micros`` and ``held_micros`` the sum of their ``held_micros``; both
columns are updated in the transaction that appends the row. What a user can spend now is
``balance - held``.

Ledger kinds and their effect (amount, held):

    grant       (+x, 0)    credit added           refund      (+x, 0)  money returned
    hold        (0, +q)    quote reserved         adjustment  (±x, 0)  operator correction
    capture     (-c, -c)   cost of a delivered    release     (0, -r)  unused reservation
                           unit, taken from the hold                   returned
    vendor_loss (0, -v)    units sent to the vendor (so billed) but never delivered: their
                           reservation returned to the user; v is the house's cost
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imagestudio.db.base import Base, UTCDateTime, utcnow

ID = String(32)
Serial = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

LEDGER_KINDS = ("grant", "hold", "capture", "release", "refund", "adjustment", "vendor_loss")


class CreditAccount(Base):
    __tablename__ = "credit_accounts"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    balance_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    held_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One immutable money movement (the database refuses UPDATE and DELETE)."""

    __tablename__ = "credit_ledger"
    __table_args__ = (Index("ix_credit_ledger_user_seq", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    held_micros: Mapped[int] = mapped_column(BigInteger)
    balance_after_micros: Mapped[int] = mapped_column(BigInteger)
    held_after_micros: Mapped[int] = mapped_column(BigInteger)
    operation: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[int | None] = mapped_column(Integer)
    hold_id: Mapped[str | None] = mapped_column(ID)
    generation_id: Mapped[str | None] = mapped_column(ID)
    asset_id: Mapped[str | None] = mapped_column(ID)
    model: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditHold(Base):
    """A reservation for one operation: ``quantity`` units at up to ``per_unit_micros``."""

    __tablename__ = "credit_holds"
    __table_args__ = (Index("ix_credit_holds_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    operation: Mapped[str] = mapped_column(String(32))
    generation_id: Mapped[str | None] = mapped_column(ID)
    quantity: Mapped[int] = mapped_column(Integer)
    per_unit_micros: Mapped[int] = mapped_column(BigInteger)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))  # open | settled
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    captured_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    released_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class UsageCounter(Base):
    """Units used (or reserved) of one metric in one period: an operation kind, or
    ``spend`` (micro-USD captured plus held)."""

    __tablename__ = "usage_counters"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class IdempotencyKey(Base):
    """The first outcome of a request sent with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    scope: Mapped[str] = mapped_column(String(50))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # in_progress | completed
    hold_id: Mapped[str | None] = mapped_column(ID)
    generation_id: Mapped[str | None] = mapped_column(ID)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RateHit(Base):
    """One accepted request in a user's sliding one-minute window, when the request rate
    limit is shared by several processes (``credits/shared_rate.py``); ``at`` is the
    database's epoch seconds, so every process counts on one clock."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    at: Mapped[float] = mapped_column(Float(), nullable=False)
