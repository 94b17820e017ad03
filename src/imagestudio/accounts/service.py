"""Create and list users; create, list and revoke their API keys."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imagestudio.accounts.keys import display_prefix, generate_key, hash_key
from imagestudio.accounts.schemas import KeyPublic, NewKey, UserPublic
from imagestudio.db.base import utcnow
from imagestudio.db.models import ApiKey, User
from imagestudio.db.session import Database
from imagestudio.errors import Conflict, InvalidRequest, NotFound

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
_PLAN_RE = re.compile(r"^[a-z0-9_-]{1,50}$")


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise InvalidRequest(
            "user name must be 1-100 letters, digits, '_', '.', '@' or '-'", field="name"
        )


def _check_plan(plan: str) -> None:
    if not _PLAN_RE.match(plan):
        raise InvalidRequest(
            "plan must be 1-50 lowercase letters, digits, '_' or '-'", field="plan"
        )


class AccountService:
    """Each method is one transaction of its own; raises StudioError subclasses.

    With ``plans`` (the plan table's ids), a user can only be put on one of them.
    """

    def __init__(self, db: Database, *, plans: Collection[str] | None = None) -> None:
        self._db = db
        self._plans = tuple(plans) if plans is not None else None

    def _check_known_plan(self, plan: str) -> None:
        _check_plan(plan)
        if self._plans is not None and plan not in self._plans:
            raise InvalidRequest(
                f"unknown plan {plan!r}; plans: {', '.join(self._plans)}", field="plan"
            )

    async def create_user(self, name: str, *, plan: str = "free", key_name: str = "") -> NewKey:
        """Create user ``name`` with a first API key (raises Conflict if the name is taken)."""
        _check_name(name)
        self._check_known_plan(plan)
        async with self._db.sessions() as session:
            user = User(name=name, plan=plan)
            session.add(user)
            try:
                await session.flush()
            except IntegrityError as exc:
                raise Conflict(f"user {name!r} already exists", field="name") from exc
            new_key = await self._add_key(session, user, key_name)
            await session.commit()
            return new_key

    async def ensure_user(self, name: str, *, plan: str) -> UserPublic:
        """User ``name``, created on ``plan`` (with no key) if it does not exist yet."""
        _check_name(name)
        self._check_known_plan(plan)
        async with self._db.sessions() as session:
            user = await session.scalar(select(User).where(User.name == name))
            if user is None:
                session.add(User(name=name, plan=plan))
                try:
                    await session.commit()
                except IntegrityError:  # created meanwhile by another process
                    await session.rollback()
                user = await self._user(session, name)
            return UserPublic.model_validate(user)

    async def list_users(self) -> list[UserPublic]:
        async with self._db.sessions() as session:
            users = await session.scalars(select(User).order_by(User.created_at, User.name))
            return [UserPublic.model_validate(u) for u in users]

    async def set_plan(self, name: str, plan: str) -> UserPublic:
        """Move user ``name`` to ``plan``; a running server applies it within its auth
        cache time (``auth_cache_ttl_s``)."""
        self._check_known_plan(plan)
        async with self._db.sessions() as session:
            user = await self._user(session, name)
            user.plan = plan
            await session.commit()
            return UserPublic.model_validate(user)

    async def create_key(self, user_name: str, *, key_name: str = "") -> NewKey:
        async with self._db.sessions() as session:
            user = await self._user(session, user_name)
            new_key = await self._add_key(session, user, key_name)
            await session.commit()
            return new_key

    async def list_keys(self, user_name: str | None = None) -> list[KeyPublic]:
        async with self._db.sessions() as session:
            query = select(ApiKey).order_by(ApiKey.created_at)
            if user_name is not None:
                user = await self._user(session, user_name)
                query = query.where(ApiKey.user_id == user.id)
            return [KeyPublic.model_validate(k) for k in await session.scalars(query)]

    async def revoke_key(self, ident: str) -> KeyPublic:
        """Revoke the key whose id or display prefix is ``ident`` (exact match only)."""
        async with self._db.sessions() as session:
            keys = list(
                await session.scalars(
                    select(ApiKey).where(or_(ApiKey.id == ident, ApiKey.prefix == ident))
                )
            )
            if not keys:
                raise NotFound(f"no API key {ident!r}", field="key")
            if len(keys) > 1:
                raise Conflict(f"{ident!r} names several keys; use the key id", field="key")
            key = keys[0]
            if key.revoked_at is None:
                key.revoked_at = utcnow()
            await session.commit()
            return KeyPublic.model_validate(key)

    async def _user(self, session: AsyncSession, name: str) -> User:
        user = await session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}", field="user")
        return user

    async def _add_key(self, session: AsyncSession, user: User, key_name: str) -> NewKey:
        raw = generate_key()
        key = ApiKey(
            user_id=user.id, name=key_name[:100], prefix=display_prefix(raw), key_hash=hash_key(raw)
        )
        session.add(key)
        await session.flush()
        return NewKey(
            user=UserPublic.model_validate(user), key=raw, key_info=KeyPublic.model_validate(key)
        )
