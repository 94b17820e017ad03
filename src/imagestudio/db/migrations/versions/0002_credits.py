"""credits: accounts, append-only ledger, holds, usage counters, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_GUARDS = (
    """CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE ON credit_ledger
    BEGIN SELECT RAISE(ABORT, 'credit_ledger is append-only'); END""",
    """CREATE TRIGGER credit_ledger_no_delete BEFORE DELETE ON credit_ledger
    BEGIN SELECT RAISE(ABORT, 'credit_ledger is append-only'); END""",
)
_POSTGRES_GUARDS = (
    """CREATE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'credit_ledger is append-only'; END $$""",
    """CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only()""",
)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users")


def upgrade() -> None:
    op.create_table(
        "credit_accounts",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("balance_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_micros", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("credit_accounts"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_credit_accounts")),
    )
    op.create_table(
        "credit_ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_micros", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_micros", sa.BigInteger(), nullable=False),
        sa.Column("held_after_micros", sa.BigInteger(), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("hold_id", sa.String(length=32), nullable=True),
        sa.Column("generation_id", sa.String(length=32), nullable=True),
        sa.Column("asset_id", sa.String(length=32), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("credit_ledger"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_ledger")),
    )
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_credit_ledger_user_seq", ["user_id", "id"], unique=False)
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("generation_id", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("per_unit_micros", sa.BigInteger(), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("captured_micros", sa.BigInteger(), nullable=False),
        sa.Column("released_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("credit_holds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
    )
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_holds_status_created", ["status", "created_at"], unique=False
        )
    op.create_table(
        "usage_counters",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        _user_fk("usage_counters"),
        sa.PrimaryKeyConstraint("user_id", "period", "metric", name=op.f("pk_usage_counters")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=True),
        sa.Column("generation_id", sa.String(length=32), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("idempotency_keys"),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_created", ["created_at"], unique=False)
    guards = _SQLITE_GUARDS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS credit_ledger_no_update")
        op.execute("DROP TRIGGER IF EXISTS credit_ledger_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS credit_ledger_append_only ON credit_ledger")
        op.execute("DROP FUNCTION IF EXISTS credit_ledger_append_only()")
    op.drop_table("idempotency_keys")
    op.drop_table("usage_counters")
    op.drop_table("credit_holds")
    op.drop_table("credit_ledger")
    op.drop_table("credit_accounts")
