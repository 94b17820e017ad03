"""Shared CLI plumbing: the console, JSON output and the service lifetime."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from imagestudio.cli.db import prepare
from imagestudio.container import Persistence, Services, build_persistence, build_services
from imagestudio.settings import get_settings

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
    settings = get_settings()
    built = build_services(settings, with_persistence=with_persistence)
    try:
        if built.persistence is not None:
            await prepare(built.persistence.db, settings)
        yield built
    finally:
        await built.aclose()


@asynccontextmanager
async def persistence() -> AsyncIterator[Persistence]:
    """The database (SQLite migrated) and the services over it, for one command."""
    settings = get_settings()
    built = build_persistence(settings)
    try:
        await prepare(built.db, settings)
        yield built
    finally:
        await built.aclose()
