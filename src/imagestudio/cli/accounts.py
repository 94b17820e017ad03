"""``imagestudio users create|list|set-plan`` and ``imagestudio keys create|list|revoke``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from imagestudio.accounts.schemas import NewKey
from imagestudio.accounts.service import AccountService
from imagestudio.cli._common import print_json
from imagestudio.cli.db import run_with_database
from imagestudio.credits.plans import load_plans

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)


def _run(action: Callable[[AccountService], Awaitable[T]]) -> T:
    """Run ``action`` against the configured database (SQLite is migrated on first use)."""
    return run_with_database(
        lambda db, settings: action(AccountService(db, plans=load_plans(settings.plans_file).ids))
    )


def _show_key(new: NewKey, as_json: bool) -> None:
    if as_json:
        print_json(new)
        return
    typer.echo(f"user {new.user.name} (plan {new.user.plan}), key id {new.key_info.id}")
    typer.echo("API key (shown once; store it now):", err=True)
    typer.echo(new.key)


@users_app.command("create")
def create_user(
    name: str,
    plan: Annotated[str, typer.Option("--plan", help="Plan id (see `credits plans`).")] = "free",
    as_json: JsonOpt = False,
) -> None:
    """Create user NAME and print its first API key."""
    _show_key(_run(lambda accounts: accounts.create_user(name, plan=plan)), as_json)


@users_app.command("list")
def list_users(as_json: JsonOpt = False) -> None:
    """List users."""
    users = _run(lambda accounts: accounts.list_users())
    if as_json:
        print_json({"users": [u.model_dump(mode="json") for u in users]})
        return
    for user in users:
        typer.echo(f"{user.name}\t{user.plan}\t{user.id}\t{user.created_at:%Y-%m-%d %H:%M}")


@users_app.command("set-plan")
@users_app.command("plan", hidden=True)
def set_plan(name: str, plan: str, as_json: JsonOpt = False) -> None:
    """Move user NAME to PLAN (a running server applies it within its auth cache time)."""
    user = _run(lambda accounts: accounts.set_plan(name, plan))
    if as_json:
        print_json(user)
    else:
        typer.echo(f"{user.name} is now on plan {user.plan}")


@keys_app.command("create")
def create_key(
    user: str,
    name: Annotated[str, typer.Option("--name", help="A label for the key.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create another API key for USER and print it."""
    _show_key(_run(lambda accounts: accounts.create_key(user, key_name=name)), as_json)


@keys_app.command("list")
def list_keys(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's keys.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List keys (prefixes only; keys themselves are never stored)."""
    keys = _run(lambda accounts: accounts.list_keys(user))
    if as_json:
        print_json({"keys": [k.model_dump(mode="json") for k in keys]})
        return
    for key in keys:
        state = "revoked" if key.revoked_at else "active"
        typer.echo(f"{key.id}\t{key.prefix}…\t{state}\t{key.name}")


@keys_app.command("revoke")
def revoke_key(key: str, as_json: JsonOpt = False) -> None:
    """Revoke the key with this id or prefix (a running server forgets it within seconds)."""
    revoked = _run(lambda accounts: accounts.revoke_key(key))
    if as_json:
        print_json(revoked)
    else:
        typer.echo(f"revoked {revoked.id} ({revoked.prefix}…)")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")
