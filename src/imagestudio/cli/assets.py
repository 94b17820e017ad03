"""``imagestudio assets gc``: remove stored files no asset has used for the grace period."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from imagestudio.assets.blobs import BlobCollector, GcReport
from imagestudio.cli._common import persistence, print_json
from imagestudio.cli.db import run_database_command
from imagestudio.settings import get_settings

assets_app = typer.Typer(help="The asset store.", no_args_is_help=True)


@assets_app.command("gc")
def gc(
    grace: Annotated[float | None, typer.Option(
        "--grace", min=0, help="Seconds unreferenced before removal (default: blob_grace_s)."
    )] = None,
    scan: Annotated[bool, typer.Option(
        "--scan", help="First claim stored files that have no blob row (older builds, "
        "copies made by hand); they are removed one grace period later if still unused."
    )] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Remove stored files that no asset or delivery has referenced for the grace period."""
    report = run_database_command(_gc(grace, scan))
    if as_json:
        print_json(asdict(report))
        return
    typer.echo(f"removed {report.removed} unused file(s) ({report.missing} already gone); "
               f"{report.kept} claimed meanwhile and kept; {report.adopted} adopted")


async def _gc(grace: float | None, scan: bool) -> GcReport:
    settings = get_settings()
    async with persistence() as built:
        collector = BlobCollector(built.blobs, grace_s=settings.blob_grace_s)
        return await collector.collect(grace_s=grace, scan=scan)


def register(app: typer.Typer) -> None:
    app.add_typer(assets_app, name="assets")
