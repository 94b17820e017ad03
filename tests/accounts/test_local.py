"""The user 'local': created once, on the plan asked for, refused when disabled."""

import pytest
from sqlalchemy import update

from imagestudio.accounts.local import CLI_KEY_ID, LOCAL_USER, LocalSessions, local_principal
from imagestudio.accounts.service import AccountService
from imagestudio.db.models import User
from imagestudio.db.session import Database
from imagestudio.errors import Forbidden


async def test_the_local_user_is_created_once_on_the_plan_asked_for(db: Database) -> None:
    accounts = AccountService(db)
    first = await local_principal(accounts, plan="enterprise")
    again = await local_principal(accounts, plan="free")  # an existing user keeps its plan

    assert (first.user_name, first.plan, first.key_id) == (LOCAL_USER, "enterprise", CLI_KEY_ID)
    assert again.user_id == first.user_id and again.plan == "enterprise"
    assert [u.name for u in await accounts.list_users()] == [LOCAL_USER]
    assert await accounts.list_keys(LOCAL_USER) == []  # the CLI needs no key


async def test_the_browser_session_and_the_cli_are_one_user(db: Database) -> None:
    accounts = AccountService(db)
    key = await LocalSessions().key(accounts, plan="pro")
    principal = await local_principal(accounts, plan="free")

    assert key and principal.plan == "pro"
    assert len(await accounts.list_users()) == 1


async def test_a_disabled_local_user_is_refused(db: Database) -> None:
    accounts = AccountService(db)
    await local_principal(accounts, plan="free")
    async with db.engine.begin() as conn:
        await conn.execute(update(User).values(disabled=True))

    with pytest.raises(Forbidden, match="disabled"):
        await local_principal(accounts, plan="free")
