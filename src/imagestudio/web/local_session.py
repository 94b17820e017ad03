"""The opt-in local single-user session (``serve --single-user``).

When the flag is on, a browser on the same machine may ask for an API key of the user
``local`` instead of pasting one. The request is answered only when it comes from a
loopback address *and* names a loopback host (so a DNS-rebinding page cannot use it); a
JSON content type is required, which forces a CORS pre-flight on cross-site callers.
Anything else gets the same 404 as an unknown route.
"""

from __future__ import annotations

import asyncio
import ipaddress

from fastapi import Request

from imagestudio.accounts.service import AccountService
from imagestudio.errors import NotFound

LOCAL_USER = "local"
SESSION_KEY_NAME = "single-user session"
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback_address(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_host(host: str) -> bool:
    """Whether a listen address or host name stays on this machine."""
    name = host.strip().lower().strip("[]")
    return name == "localhost" or is_loopback_address(name)


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_local_request(request: Request, *, require_json: bool = True) -> bool:
    """From a loopback address, to a loopback host name (with a JSON body type)."""
    client = request.client.host if request.client else None
    host = _host_name(request.headers.get("host", ""))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return (
        is_loopback_address(client)
        and (host in _LOOPBACK_NAMES or is_loopback_address(host.strip("[]")))
        and (content_type == "application/json" or not require_json)
    )


def refuse() -> NotFound:
    return NotFound("not found")


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
    users = {u.name for u in await accounts.list_users()}
    if LOCAL_USER not in users:
        created = await accounts.create_user(LOCAL_USER, plan=plan, key_name=SESSION_KEY_NAME)
        return created.key
    for old in await accounts.list_keys(LOCAL_USER):
        if old.name == SESSION_KEY_NAME and old.revoked_at is None:
            await accounts.revoke_key(old.id)
    return (await accounts.create_key(LOCAL_USER, key_name=SESSION_KEY_NAME)).key
