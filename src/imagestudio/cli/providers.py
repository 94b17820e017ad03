"""``imagestudio providers``: which image sources are configured, where they point, what
their models cost. Reads settings and the catalog only; never calls a vendor."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import typer
from rich.table import Table

from imagestudio.catalog import Catalog, load_catalog
from imagestudio.catalog.schemas import (
    FreePrice,
    ModelEntry,
    PerImagePrice,
    ProviderInfo,
    QualitySizePrice,
)
from imagestudio.cli._common import console, print_json
from imagestudio.money import format_usd
from imagestudio.providers.base import ProviderStatus
from imagestudio.settings import Settings, get_settings
from imagestudio.vendors import VENDORS

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@dataclass(frozen=True)
class ModelRow:
    id: str
    name: str
    price: str
    price_confirmed: bool
    ai_model: bool
    deprecated: bool


@dataclass(frozen=True)
class ProviderRow:
    """One image source as ``providers`` and ``doctor`` show it."""

    id: str
    name: str
    configured: bool
    reason: str
    base_url: str | None
    offline: bool
    models: list[ModelRow] = field(default_factory=list)


@dataclass
class ProviderReport:
    rows: list[ProviderRow]
    problems: dict[str, str] = field(default_factory=dict)  # what failed → why


def price_label(model: ModelEntry) -> str:
    """Price per image as shown to people: ``$0.08``, ``$0.011–$0.25``, ``free``."""
    rule = model.pricing.rule
    if isinstance(rule, FreePrice):
        return "free"
    if isinstance(rule, PerImagePrice):
        text = format_usd(rule.micros)
    else:
        values = (
            [v for row in rule.table.values() for v in row.values()]
            if isinstance(rule, QualitySizePrice) else list(rule.table.values())
        )
        low, high = min(values), max(values)
        text = format_usd(low) if low == high else f"{format_usd(low)}–{format_usd(high)}"
    return text if model.pricing.confirmed else f"{text} (unconfirmed)"


def _settings_status(info: ProviderInfo, settings: Settings) -> ProviderStatus:
    """What settings alone say about ``info`` (used when no client was built for it)."""
    if info.offline:
        return ProviderStatus(info.id, True, "offline, no key needed")
    if info.id not in VENDORS:
        return ProviderStatus(info.id, False, "no client for this provider", info.base_url)
    connection = settings.provider(info.id)
    reason = "" if connection.configured else f"set {connection.key_env}"
    return ProviderStatus(info.id, connection.configured, reason, connection.base_url)


async def _client_statuses(settings: Settings, catalog: Catalog,
                           problems: dict[str, str]) -> dict[str, ProviderStatus]:
    """``status()`` of every provider the composition root builds (no network)."""
    from imagestudio.container import build_services  # the whole studio, for this report

    try:
        services = build_services(settings, catalog=catalog)
    except Exception as exc:  # noqa: BLE001 - diagnostics report a broken wiring, never crash
        problems["services"] = f"could not build services: {type(exc).__name__}: {exc}"
        return {}
    statuses: dict[str, ProviderStatus] = {}
    try:
        for name, provider in services.providers.items():
            try:
                statuses[name] = await provider.status()
            except Exception as exc:  # noqa: BLE001 - one broken client must not hide the rest
                problems[f"provider {name}"] = f"status() failed: {type(exc).__name__}: {exc}"
                statuses[name] = ProviderStatus(name, False, "status() failed")
    finally:
        await services.aclose()
    return statuses


def _row(status: ProviderStatus, info: ProviderInfo | None, settings: Settings,
         catalog: Catalog) -> ProviderRow:
    base_url = status.base_url
    if base_url is None and status.name in VENDORS:
        base_url = settings.provider(status.name).base_url
    models = [
        ModelRow(m.id, m.name, price_label(m), m.pricing.confirmed, m.ai_model, m.deprecated)
        for m in catalog.models_of(status.name)
    ]
    return ProviderRow(
        id=status.name,
        name=info.name if info else status.name,
        configured=status.configured,
        reason=status.reason,
        base_url=base_url if base_url is not None else (info.base_url if info else None),
        offline=bool(info and info.offline),
        models=models,
    )


async def provider_report(settings: Settings, catalog: Catalog) -> ProviderReport:
    """Every catalog provider plus any extra registered one (e.g. ``fake``), in catalog order."""
    problems: dict[str, str] = {}
    built = await _client_statuses(settings, catalog, problems)
    rows = []
    for info in catalog.providers.values():
        status = built.get(info.id) or _settings_status(info, settings)
        rows.append(_row(status, info, settings, catalog))
    rows.extend(_row(s, None, settings, catalog) for n, s in built.items()
                if n not in catalog.providers)
    return ProviderReport(rows, problems)


def configured_label(row: ProviderRow) -> str:
    if row.configured:
        return f"yes: {row.reason}" if row.reason else "yes"
    return f"no: {row.reason}" if row.reason else "no"


def _table(rows: list[ProviderRow]) -> Table:
    table = Table(title="Image providers")
    for column in ("provider", "configured", "base URL", "models (price per image)"):
        table.add_column(column, overflow="fold")
    for row in rows:
        models = "\n".join(f"{m.id}  {m.price}" + ("  (deprecated)" if m.deprecated else "")
                           for m in row.models) or "—"
        table.add_row(f"{row.id}\n{row.name}", configured_label(row), row.base_url or "—", models)
    return table


def show_providers(as_json: JsonOpt = False) -> None:
    """Show which providers are configured (key present), their base URL and models."""
    settings = get_settings()
    report = asyncio.run(provider_report(settings, load_catalog()))
    if as_json:
        data: dict[str, Any] = {"providers": [asdict(row) for row in report.rows]}
        if report.problems:
            data["problems"] = report.problems
        print_json(data)
        return
    console.print(_table(report.rows))
    for what, why in report.problems.items():
        console.print(f"[yellow]! {what}: {why}[/yellow]")


def register(app: typer.Typer) -> None:
    """Add the ``providers`` command to ``app``."""
    app.command("providers")(show_providers)
