"""The user ``local``: the owner of this machine, as ``serve --single-user`` and the CLI's
``create`` know them.

``serve --single-user`` hands a browser on this machine a key of this user
(:class:`LocalSessions`); ``imagestudio create`` runs as this user without a key
(:func:`local_principal`), so both put their images in the same library and ledger.
"""

from __future__ import annotations

import asyncio

from imagestudio.accounts.auth import Principal
from imagestudio.accounts.service import AccountService
from imagestudio.errors import Forbidden

LOCAL_USER = "local"
SESSION_KEY_NAME = "single-user session"
CLI_KEY_ID = "cli"


async def local_principal(accounts: AccountService, *, plan: str) -> Principal:
    """The user ``local`` (created on ``plan`` if missing) as a caller of the studio.

    Raises Forbidden when an operator disabled the user.
    """
    user = await accounts.ensure_user(LOCAL_USER, plan=plan)
    if user.disabled:
        raise Forbidden(f"the user {LOCAL_USER!r} is disabled")
    return Principal(user_id=user.id, user_name=user.name, plan=user.plan, key_id=CLI_KEY_ID)


class LocalSessions:
    """Issues one key for the ``local`` user per server process.

    The first call creates the user if needed, revokes keys left by earlier processes and
    creates a fresh key; later calls return the same key (the raw key lives only here, in
    memory; the database keeps its hash, as for every key).
    """

    def __init__(self) -> None:
        self._key: str | None = None
        self._lock = asyncio.Lock()

    async def key(self, accounts: AccountService, *, plan: str = "free") -> str:
        """The session key; ``plan`` is the plan of the user if it has to be created."""
        async with self._lock:
            if self._key is None:
                self._key = await _fresh_key(accounts, plan)
            return self._key


async def _fresh_key(accounts: AccountService, plan: str) -> str:
    await accounts.ensure_user(LOCAL_USER, plan=plan)
    for old in await accounts.list_keys(LOCAL_USER):
        if old.name == SESSION_KEY_NAME and old.revoked_at is None:
            await accounts.revoke_key(old.id)
    return (await accounts.create_key(LOCAL_USER, key_name=SESSION_KEY_NAME)).key
