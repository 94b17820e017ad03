import asyncio

import pytest
from sqlalchemy import select

from imagestudio.accounts.auth import Authenticator
from imagestudio.accounts.keys import hash_key
from imagestudio.accounts.service import AccountService
from imagestudio.db.models import ApiKey, User
from imagestudio.db.session import Database
from imagestudio.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthorized


async def test_create_user_returns_a_random_key_stored_only_as_its_hash(db: Database) -> None:
    accounts = AccountService(db)
    first = await accounts.create_user("alice", plan="pro")
    second = await accounts.create_user("bob")
    assert first.key.startswith("isk_") and len(first.key) > 40
    assert first.key != second.key
    assert first.user.plan == "pro" and second.user.plan == "free"
    async with db.sessions() as session:
        rows = list(await session.scalars(select(ApiKey)))
    assert {r.key_hash for r in rows} == {hash_key(first.key), hash_key(second.key)}
    assert all(first.key not in (r.prefix, r.key_hash, r.name) for r in rows)
    assert first.key_info.prefix == first.key[:12]


async def test_duplicate_and_invalid_names_are_refused(db: Database) -> None:
    accounts = AccountService(db)
    await accounts.create_user("alice")
    with pytest.raises(Conflict):
        await accounts.create_user("alice")
    with pytest.raises(InvalidRequest) as bad:
        await accounts.create_user("../etc")
    assert bad.value.field == "name"
    with pytest.raises(InvalidRequest):
        await accounts.create_user("carol", plan="Pro Plan!")


async def test_authenticate_accepts_the_key_and_refuses_everything_else(db: Database) -> None:
    accounts = AccountService(db)
    new = await accounts.create_user("alice", plan="team")
    auth = Authenticator(db, ttl_s=0)
    principal = await auth.authenticate(f"Bearer {new.key}")
    assert (principal.user_name, principal.plan, principal.user_id) == (
        "alice",
        "team",
        new.user.id,
    )
    for header in (
        None,
        "",
        "Bearer",
        f"Basic {new.key}",
        "Bearer isk_nope",
        "Bearer " + "x" * 50,
        f"Bearer {new.key}x",
    ):
        with pytest.raises(Unauthorized):
            await auth.authenticate(header)


async def test_revoked_key_stops_working_and_other_keys_keep_working(db: Database) -> None:
    accounts = AccountService(db)
    new = await accounts.create_user("alice")
    extra = await accounts.create_key("alice", key_name="ci")
    auth = Authenticator(db, ttl_s=60)
    await auth.authenticate(f"Bearer {new.key}")
    revoked = await accounts.revoke_key(new.key_info.prefix)
    assert revoked.revoked_at is not None
    auth.forget(revoked.id)
    with pytest.raises(Unauthorized):
        await auth.authenticate(f"Bearer {new.key}")
    assert (await auth.authenticate(f"Bearer {extra.key}")).key_id == extra.key_info.id
    with pytest.raises(NotFound):
        await accounts.revoke_key("isk_unknown")
    listed = await accounts.list_keys("alice")
    assert [k.revoked_at is None for k in listed] == [False, True]


async def test_disabled_user_is_forbidden(db: Database) -> None:
    accounts = AccountService(db)
    new = await accounts.create_user("alice")
    async with db.sessions() as session:
        user = await session.scalar(select(User).where(User.name == "alice"))
        assert user is not None
        user.disabled = True
        await session.commit()
    with pytest.raises(Forbidden):
        await Authenticator(db, ttl_s=0).authenticate(f"Bearer {new.key}")


async def test_unknown_user_for_new_key_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        await AccountService(db).create_key("nobody")


async def test_a_burst_of_cache_misses_costs_one_query(db: Database) -> None:
    from sqlalchemy import event

    new = await AccountService(db).create_user("alice")
    auth = Authenticator(db, ttl_s=0)
    queries: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute",
                 lambda *args: queries.append(args[2]))

    principals = await asyncio.gather(*(auth.authenticate(f"Bearer {new.key}") for _ in range(20)))

    assert {p.user_name for p in principals} == {"alice"}
    assert len([q for q in queries if "api_keys" in q]) == 1
    with pytest.raises(Unauthorized):
        await asyncio.gather(*(auth.authenticate("Bearer isk_" + "0" * 40) for _ in range(3)))
