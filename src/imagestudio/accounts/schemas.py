"""Public shapes of users and keys (the CLI prints these as JSON)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    plan: str
    disabled: bool
    created_at: dt.datetime


class KeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    name: str
    prefix: str = Field(description="First characters of the key, to tell keys apart.")
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewKey(BaseModel):
    """A freshly created key: ``key`` is shown this once and never stored."""

    user: UserPublic
    key: str
    key_info: KeyPublic
