"""``imagestudio credits grant|refund|adjust|show|ledger|sweep|plans``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, TypeVar

import typer

from imagestudio.cli._common import persistence, print_json
from imagestudio.cli.db import fail, run_database_command, run_with_database
from imagestudio.credits.admin import parse_usd
from imagestudio.credits.reports import plans_public
from imagestudio.credits.schemas import CreditsSummary, LedgerEntryPublic, PlansPublic
from imagestudio.credits.wiring import Credits, build_credits
from imagestudio.money import format_usd
from imagestudio.studio.sweeper import StudioSweepReport

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (kept in the ledger).")]
MicrosOpt = Annotated[bool, typer.Option("--micros", help="AMOUNT is integer micro-USD.")]
credits_app = typer.Typer(help="Credits: balances, grants and the ledger.", no_args_is_help=True)


def run_credits(action: Callable[[Credits], Awaitable[T]]) -> T:
    """Run ``action`` against the configured database (SQLite is migrated on first use)."""
    return run_with_database(lambda db, settings: action(build_credits(db, settings)))


def _amount(text: str, micros: bool) -> int:
    if micros:
        try:
            return int(text)
        except ValueError:
            raise fail(f"AMOUNT must be an integer number of micro-USD, got {text!r}") from None
    return parse_usd(text)


def _show_entry(entry: LedgerEntryPublic, user: str, as_json: bool) -> None:
    if as_json:
        print_json(entry)
        return
    available = entry.balance_after.micros - entry.held_after.micros
    typer.echo(f"{entry.kind} {entry.amount.usd} for {user}; available balance "
               f"{format_usd(available)} (held {entry.held_after.usd})")


@credits_app.command("grant")
def grant(user: str, amount: str, note: NoteOpt = "", micros: MicrosOpt = False,
          as_json: JsonOpt = False) -> None:
    """Add AMOUNT (USD, e.g. 10 or 2.50) of credit to USER."""
    value = _amount(amount, micros)
    entry = run_credits(lambda c: c.admin.grant(user, value, note=note))
    _show_entry(entry, user, as_json)


@credits_app.command("refund")
def refund(
    user: str, amount: str, note: NoteOpt = "",
    generation: Annotated[str | None, typer.Option("--generation", help="Generation id.")] = None,
    micros: MicrosOpt = False, as_json: JsonOpt = False,
) -> None:
    """Give AMOUNT of captured spend back to USER."""
    value = _amount(amount, micros)
    entry = run_credits(lambda c: c.admin.refund(user, value, note=note, generation_id=generation))
    _show_entry(entry, user, as_json)


@credits_app.command("adjust", context_settings={"ignore_unknown_options": True})
def adjust(user: str, amount: str, note: NoteOpt = "", micros: MicrosOpt = False,
           as_json: JsonOpt = False) -> None:
    """Correct USER's balance by AMOUNT (negative to take credit away; --note required)."""
    value = _amount(amount, micros)
    entry = run_credits(lambda c: c.admin.adjust(user, value, note=note))
    _show_entry(entry, user, as_json)


def _print_summary(summary: CreditsSummary) -> None:
    usage = summary.usage
    typer.echo(f"{summary.user}: plan {usage.plan.name} ({usage.plan.id})")
    typer.echo(f"  available {usage.balance.usd}, held {usage.held.usd}, "
               f"ledger balance {usage.ledger_balance.usd}, open holds {summary.open_holds}")
    cap = usage.spend_cap.usd if usage.spend_cap else "unlimited"
    typer.echo(f"  period {usage.period_start:%Y-%m-%d} to {usage.period_end:%Y-%m-%d}: "
               f"spent {usage.spend.usd} of {cap}")
    for kind, quota in usage.quotas.items():
        limit = "unlimited" if quota.limit is None else str(quota.limit)
        typer.echo(f"  {kind}: {quota.used} of {limit}")


@credits_app.command("show")
def show(user: str, as_json: JsonOpt = False) -> None:
    """USER's plan, balance, holds and this period's usage."""
    summary = run_credits(lambda c: c.admin.show(user))
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)


@credits_app.command("ledger")
def ledger(
    user: str,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="Entries.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """USER's newest ledger entries."""

    async def read(c: Credits) -> list[LedgerEntryPublic]:
        user_id, _ = await c.admin.user(user)
        return (await c.reports.ledger(user_id, limit=limit)).entries

    entries = run_credits(read)
    if as_json:
        print_json({"entries": [e.model_dump(mode="json") for e in entries]})
        return
    for e in entries:
        typer.echo(f"{e.id}\t{e.created_at:%Y-%m-%d %H:%M:%S}\t{e.kind}\t{e.amount.usd}\t"
                   f"held {e.held.usd}\t{e.operation or ''}\t{e.note}")


@credits_app.command("sweep")
def sweep(
    older_than: Annotated[float | None, typer.Option(
        "--older-than", min=0, help="Seconds (default: credits_hold_timeout_s).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Settle holds left open by a crashed process (capture stored results, release rest)
    and put charged images whose recording failed into the library."""
    report = run_database_command(_sweep(older_than))
    if as_json:
        print_json(asdict(report))
        return
    typer.echo(f"settled {report.holds} abandoned hold(s): captured "
               f"{format_usd(report.captured_micros)}, released "
               f"{format_usd(report.released_micros)}; {report.keys_expired} expired key(s); "
               f"{report.assets_recovered} unrecorded image(s) recorded")


async def _sweep(older_than: float | None) -> StudioSweepReport:
    async with persistence() as built:
        return await built.sweeper.sweep(older_than_s=older_than)


@credits_app.command("plans")
def plans(as_json: JsonOpt = False) -> None:
    """The plan table."""
    table = run_credits(_plans)
    if as_json:
        print_json(table)
        return
    for plan in table.plans:
        quotas = ", ".join(f"{k} {'unlimited' if v is None else v}" for k, v in plan.quotas.items())
        typer.echo(f"{plan.id}\t{plan.name}\t{plan.price_monthly.usd}/mo\t{quotas}")


async def _plans(credits: Credits) -> PlansPublic:
    return plans_public(credits.plans)


def register(app: typer.Typer) -> None:
    app.add_typer(credits_app, name="credits")
