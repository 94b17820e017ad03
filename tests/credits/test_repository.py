"""The credit tables and their SQL on SQLite and PostgreSQL, below the API."""

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.credits.conftest import Clock

from imagestudio.accounts.auth import Principal
from imagestudio.accounts.service import AccountService
from imagestudio.credits import repository as repo
from imagestudio.credits.operations import Capture, Operation
from imagestudio.credits.plans import load_plans
from imagestudio.credits.service import CreditsService, Hold
from imagestudio.db.base import Base
from imagestudio.db.migrate import upgrade
from imagestudio.db.session import Database
from imagestudio.errors import InsufficientCredits

EDIT = Operation(kind="image_edit", quantity=1, per_unit_micros=40_000, quality=None,
                 provider="stability", model="stability/core", pixels=1)


async def _user(db: Database, name: str, plan: str = "pro") -> Principal:
    created = await AccountService(db).create_user(name, plan=plan)
    return Principal(user_id=created.user.id, user_name=name, plan=plan, key_id="k")


async def _grant(db: Database, user_id: str, micros: int) -> None:
    def work(conn: Any) -> None:
        after = repo.move(conn, user_id, micros, 0, Clock()())
        assert after is not None
        repo.append(conn, user_id, [repo.Posting("grant", micros, 0, "test")], after, Clock()())

    await db.write(work)


async def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    def diff(conn: Any) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_the_ledger_refuses_updates_and_deletes(db: Database) -> None:
    alice = await _user(db, "alice")
    await _grant(db, alice.user_id, 5)
    for statement in ("UPDATE credit_ledger SET amount_micros = 500",
                      "DELETE FROM credit_ledger"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(text(statement))
    async with db.engine.connect() as conn:
        assert await conn.run_sync(repo.ledger_sums, alice.user_id) == (5, 0)


async def test_an_edit_holds_and_settles_like_a_generation(db: Database) -> None:
    credits = CreditsService(db, load_plans(), clock=Clock())
    bob = await _user(db, "bob")
    await _grant(db, bob.user_id, 100_000)
    hold = await credits.begin(bob, EDIT)
    assert isinstance(hold, Hold)
    await db.write(lambda conn: credits.settle(conn, hold, [Capture(30_000, "asset-1", "m")],
                                               response={}))
    async with db.engine.connect() as conn:
        assert await conn.run_sync(repo.account, bob.user_id) == (70_000, 0)
        assert await conn.run_sync(repo.ledger_sums, bob.user_id) == (70_000, 0)
        counts = await conn.run_sync(repo.counters, bob.user_id, "2026-03-01")
    assert counts == {"image_edit": 1, "spend": 30_000}


async def test_two_databases_racing_on_one_account_never_overspend(database_url: str) -> None:
    """Two engines (as two server processes would) hold against one balance at once."""
    first, second = Database.connect(database_url), Database.connect(database_url)
    try:
        await upgrade(first.engine)
        carol = await _user(first, "carol", plan="enterprise")
        await _grant(first, carol.user_id, 10 * EDIT.total_micros)
        services = [CreditsService(d, load_plans(), clock=Clock()) for d in (first, second)]

        async def attempt(index: int) -> bool:
            try:
                await services[index % 2].begin(carol, EDIT)
            except InsufficientCredits:
                return False
            return True

        results = await asyncio.gather(*(attempt(i) for i in range(40)))
        assert sum(results) == 10
        async with first.engine.connect() as conn:
            balance, held = await conn.run_sync(repo.account, carol.user_id)
            assert (balance, held) == (10 * EDIT.total_micros, 10 * EDIT.total_micros)
            assert await conn.run_sync(repo.ledger_sums, carol.user_id) == (balance, held)
            assert await conn.run_sync(repo.open_holds, carol.user_id) == 10
    finally:
        await first.aclose()
        await second.aclose()
