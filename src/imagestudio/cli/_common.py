"""Shared CLI plumbing: the console, JSON output and the service lifetime."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from rich.console import Console

from imagestudio.accounts.auth import Principal
from imagestudio.accounts.local import local_principal
from imagestudio.cli.db import prepare
from imagestudio.settings import get_settings
from imagestudio.studio.contracts import Outcome

if TYPE_CHECKING:
    from imagestudio.container import Persistence, Services

T = TypeVar("T", bound=BaseModel)
MAX_FILE_BYTES = 50_000_000
MAX_FILE_PIXELS = 40_000_000
"""What the CLI reads from a local image file, as the web upload limits."""

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=_default)
    print(text)  # noqa: T201 - plain stdout so the output pipes cleanly into jq


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@asynccontextmanager
async def services(*, with_persistence: bool = False) -> AsyncIterator[Services]:
    """Services for one command; the database is opened (SQLite migrated) only when the
    command needs it."""
    from imagestudio.container import build_services  # the whole studio, for this command

    settings = get_settings()
    built = build_services(settings, with_persistence=with_persistence)
    try:
        if built.persistence is not None:
            await prepare(built.persistence.db, settings)
        yield built
    finally:
        await built.aclose()


@asynccontextmanager
async def as_local_user() -> AsyncIterator[tuple[Services, Persistence, Principal]]:
    """Services with the database, and the user ``local`` (created on the single-user
    plan if missing) that the CLI's operations run as, like ``serve --single-user``."""
    async with services(with_persistence=True) as built:
        assert built.persistence is not None
        local = await local_principal(built.persistence.accounts,
                                      plan=get_settings().single_user_plan)
        yield built, built.persistence, local


@asynccontextmanager
async def persistence() -> AsyncIterator[Persistence]:
    """The database (SQLite migrated) and the services over it, for one command."""
    from imagestudio.container import build_persistence

    settings = get_settings()
    built = build_persistence(settings)
    try:
        await prepare(built.db, settings)
        yield built
    finally:
        await built.aclose()


async def asset_id_of(persistence: Persistence, user_id: str, image: str,
                      data: bytes | None) -> str:
    """The library asset a command's ``image`` argument names: the id itself when no file
    was read (``data`` None), else the file's bytes uploaded under its file name."""
    if data is None:
        return image
    asset = await persistence.library.upload(
        user_id, data, title=Path(image).name, tags=[],
        max_bytes=MAX_FILE_BYTES, max_pixels=MAX_FILE_PIXELS,
    )
    return asset.id


def single_output(outcome: Outcome[T]) -> tuple[T, str | None, bytes]:
    """A one-image operation's result, the id of its recorded asset and its bytes."""
    made = outcome.assets[0]
    output = outcome.outputs[0]
    assert output is not None
    return outcome.result, made.id if made else None, output.data
