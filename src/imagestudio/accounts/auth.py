"""Resolve an ``Authorization: Bearer`` key to the user it belongs to.

Successful lookups are cached in-process for ``ttl_s`` seconds so the hot path costs no
query; a key revoked by another process stops working within that time (immediately in
this one, through :meth:`Authenticator.forget`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select

from imagestudio.accounts.keys import hash_key, looks_like_key
from imagestudio.db.models import ApiKey, User
from imagestudio.db.session import Database
from imagestudio.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user and the key used."""

    user_id: str
    user_name: str
    plan: str
    key_id: str


class Authenticator:
    def __init__(self, db: Database, *, ttl_s: float = 5.0, max_entries: int = 10_000) -> None:
        self._db = db
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._pending: dict[str, asyncio.Future[Principal]] = {}

    async def authenticate(self, authorization: str | None) -> Principal:
        """Return the caller for header value ``authorization``.

        Raises :class:`Unauthorized` for a missing, malformed, unknown or revoked key and
        :class:`Forbidden` when the key's user is disabled.
        """
        raw = _bearer(authorization)
        digest = hash_key(raw)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        # One query per key however many requests miss at once (a burst after expiry).
        pending = self._pending.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._lookup(digest))
            self._pending[digest] = pending
            pending.add_done_callback(partial(self._settled, digest))
        principal = await asyncio.shield(pending)
        if len(self._cache) >= self._max_entries:
            self._cache.clear()
        self._cache[digest] = (now + self._ttl_s, principal)
        return principal

    def _settled(self, digest: str, lookup: asyncio.Future[Principal]) -> None:
        if self._pending.get(digest) is lookup:
            del self._pending[digest]
        if not lookup.cancelled():
            lookup.exception()  # retrieved here too, in case every waiter was cancelled

    def forget(self, key_id: str | None = None) -> None:
        """Drop cached entries (of one key, or all)."""
        if key_id is None:
            self._cache.clear()
            return
        for digest, (_, principal) in list(self._cache.items()):
            if principal.key_id == key_id:
                del self._cache[digest]

    async def _lookup(self, digest: str) -> Principal:
        query = (
            select(ApiKey.id, ApiKey.revoked_at, User.id, User.name, User.plan, User.disabled)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == digest)
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None or row[1] is not None:
            raise Unauthorized("invalid or revoked API key")
        if row[5]:
            raise Forbidden("this account is disabled")
        return Principal(user_id=row[2], user_name=row[3], plan=row[4], key_id=row[0])


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("malformed Authorization header: expected 'Bearer <key>'")
    if not looks_like_key(token):
        raise Unauthorized("invalid or revoked API key")
    return token
