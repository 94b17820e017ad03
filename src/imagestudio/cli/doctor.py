"""``imagestudio doctor``: is this installation ready? Spends no money, calls no vendor.

Checks settings, the data directory, the database, the catalog, Pillow's FreeType support
and every provider's ``status()``. A ✗ (``fail``) means something the studio needs is
broken and makes the command exit 1; ``!`` (``warn``) and ``–`` (``skip``) do not.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, SecretStr, ValidationError
from rich.table import Table

from imagestudio.catalog import Catalog, load_catalog
from imagestudio.cli._common import console, print_json
from imagestudio.cli.providers import configured_label, provider_report
from imagestudio.settings import Settings, get_settings

MASK = "**********"
DB_TIMEOUT_S = 10.0
SECRET_WORDS = ("key", "secret", "token", "password")
CheckStatus = Literal["ok", "warn", "fail", "skip"]
SYMBOLS: dict[CheckStatus, str] = {
    "ok": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✗[/red]", "skip": "–",
}


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: CheckStatus
    detail: str


def _short(exc: BaseException) -> str:
    first = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def check_settings() -> tuple[Check, Settings | None]:
    try:
        settings = get_settings()
    except ValidationError as exc:
        # loc + msg only: pydantic's own text echoes the input, which may be a secret
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in exc.errors()
        )
        return Check("settings", "fail", problems), None
    env_file = "a .env file" if Path(".env").is_file() else "no .env file"
    return Check("settings", "ok", f"loaded from the environment and {env_file}"), settings


def check_data_dir(path: Path) -> Check:
    path = path.expanduser().resolve()
    if path.exists():
        if not path.is_dir():
            return Check("data dir", "fail", f"{path} is not a directory")
        try:
            with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
                pass
        except OSError as exc:
            return Check("data dir", "fail", f"{path} is not writable ({_short(exc)})")
        return Check("data dir", "ok", f"{path} is writable")
    parent = next(p for p in path.parents if p.exists())
    if os.access(parent, os.W_OK):
        return Check("data dir", "ok", f"{path} will be created on first use")
    return Check("data dir", "fail", f"{path} does not exist and {parent} is not writable")


def mask_url(url_text: str) -> str:
    """``url_text`` with any password replaced by the mask (unparseable URLs fully masked)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(url_text)
    except ArgumentError:
        return MASK
    if url.password is None:
        return url_text
    return url.render_as_string(hide_password=True).replace(":***@", f":{MASK}@")


async def check_database(settings: Settings) -> Check:
    """Parse the URL; connect (``SELECT 1``) unless it is a SQLite file not created yet."""
    if importlib.util.find_spec("imagestudio.db") is None:
        return Check("database", "skip", "no database module in this build")
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    from sqlalchemy.ext.asyncio import create_async_engine

    url_text = settings.resolved_database_url
    shown = mask_url(url_text)
    try:
        url = make_url(url_text)
    except ArgumentError:
        return Check("database", "fail", f"cannot parse the database URL {shown}")
    file = url.database if url.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        return Check("database", "ok", f"{shown} (SQLite file created on first use)")
    try:
        engine = create_async_engine(url_text)
    except Exception as exc:  # noqa: BLE001 - e.g. the driver is not installed
        return Check("database", "fail", f"{shown}: {_short(exc)}")
    try:
        async with asyncio.timeout(DB_TIMEOUT_S), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - report any connection failure, do not crash
        return Check("database", "fail", f"cannot connect to {shown} ({_short(exc)})")
    finally:
        await engine.dispose()
    return Check("database", "ok", f"connected to {shown}")


def check_catalog() -> tuple[Check, Catalog | None]:
    try:
        catalog = load_catalog()
    except Exception as exc:  # noqa: BLE001 - CatalogError, YAML or schema problems alike
        return Check("catalog", "fail", _short(exc)), None
    detail = (f"{len(catalog.models)} models, {len(catalog.templates)} templates, "
              f"{len(catalog.platforms)} platforms")
    return Check("catalog", "ok", detail), catalog


def check_freetype() -> Check:
    from PIL import features

    if features.check("freetype2"):
        return Check("Pillow FreeType", "ok", f"FreeType {features.version('freetype2')}")
    return Check("Pillow FreeType", "warn",
                 "Pillow was built without FreeType: overlay text falls back to a bitmap font")


async def provider_checks(settings: Settings, catalog: Catalog) -> list[Check]:
    report = await provider_report(settings, catalog)
    checks = [Check(what, "fail", why) for what, why in report.problems.items()]
    for row in report.rows:
        detail = configured_label(row) + (f" · {row.base_url}" if row.base_url else "")
        checks.append(Check(f"provider {row.id}", "ok" if row.configured else "skip", detail))
    if not any(row.configured and not row.offline for row in report.rows):
        checks.append(Check("providers", "warn", "no AI provider is configured: only the "
                                                 "offline draft renderer can generate"))
    if not settings.allow_provider_requests:
        checks.append(Check("provider requests", "warn",
                            "IMAGESTUDIO_ALLOW_PROVIDER_REQUESTS is off: vendors are never called"))
    return checks


async def run_checks() -> tuple[list[Check], Settings | None]:
    """Every check, in order; later checks are skipped when what they need failed."""
    settings_check, settings = check_settings()
    checks = [settings_check]
    if settings is None:
        return checks, None
    checks.append(check_data_dir(settings.data_dir))
    checks.append(await check_database(settings))
    catalog_check, catalog = check_catalog()
    checks += [catalog_check, check_freetype()]
    if catalog is not None:
        checks += await provider_checks(settings, catalog)
    return checks, settings


def _mask(name: str, value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else None
    if isinstance(value, BaseModel):
        return {k: _mask(k, v) for k, v in value}
    if isinstance(value, dict):
        return {str(k): _mask(str(k), v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str) and value:
        if name.endswith("url"):
            return mask_url(value)
        if any(word in name.lower() for word in SECRET_WORDS):
            return MASK
    return value


def masked_config(settings: Settings) -> dict[str, Any]:
    """The effective settings, JSON-ready, with every secret replaced by the mask."""
    config = {name: _mask(name, value) for name, value in settings}
    config["resolved_database_url"] = mask_url(settings.resolved_database_url)
    return config


def _print_report(checks: list[Check], config: dict[str, Any] | None) -> None:
    table = Table(title="Image Studio doctor")
    for column in ("", "check", "detail"):
        table.add_column(column)
    for check in checks:
        table.add_row(SYMBOLS[check.status], check.name, check.detail)
    console.print(table)
    if config is not None:
        console.print("[bold]Effective configuration[/bold] (secrets masked)")
        for name, value in config.items():
            console.print(f"  {name} = {value}", markup=False)


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    print_config: Annotated[
        bool, typer.Option("--print-config", help="Also print the effective settings, masked.")
    ] = False,
) -> None:
    """Check settings, storage, database, catalog and providers without spending money."""
    checks, settings = asyncio.run(run_checks())
    config = masked_config(settings) if print_config and settings is not None else None
    ok = all(check.status != "fail" for check in checks)
    if as_json:
        data: dict[str, Any] = {"ok": ok, "checks": [asdict(c) for c in checks]}
        if config is not None:
            data["config"] = config
        print_json(data)
    else:
        _print_report(checks, config)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``doctor`` command to ``app``."""
    app.command("doctor")(doctor)
