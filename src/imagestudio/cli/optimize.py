"""``imagestudio optimize``: one image to every platform target, as the user ``local``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imagestudio.cli._common import as_local_user, asset_id_of, console, print_json
from imagestudio.cli.db import run_database_command
from imagestudio.errors import InvalidRequest
from imagestudio.optimize.schemas import FocalPoint, OptimizeRequest, OptimizeResponse
from imagestudio.studio.optimize import prepare, remember_focal

Opt = typer.Option


def _names(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _focal(value: str | None) -> FocalPoint | None:
    if value is None:
        return None
    x, _, y = value.partition(",")
    try:
        return FocalPoint(x=float(x), y=float(y))
    except ValueError:  # not numbers, or outside 0..1 (pydantic's error is a ValueError)
        pass
    raise InvalidRequest(f"--focal must be 'x,y' with each in 0..1, got {value!r}",
                         field="focal")


def optimize(
    image: Annotated[str, typer.Argument(help="An image file, or the id of a library asset.")],
    platforms: Annotated[str | None, Opt("--platforms", "-p",
                                         help="Comma-separated platform ids.")] = None,
    templates: Annotated[str | None, Opt("--templates", "-t",
                                         help="Comma-separated template ids.")] = None,
    all_templates: Annotated[bool, Opt("--all", help="Every template in the catalog.")] = False,
    fit: Annotated[str, Opt("--fit", help="crop | pad")] = "crop",
    background: Annotated[str, Opt("--background", help="pad: blur | #rrggbb")] = "blur",
    strategy: Annotated[str, Opt(
        "--strategy", help="attention | entropy | centre | faces ([faces] extra)"
    )] = "attention",
    focal: Annotated[str | None, Opt("--focal", help="Focal point 'x,y' in 0..1.")] = None,
    upscale: Annotated[str, Opt("--upscale", help=(
        "none | local | stability/fast | stability/conservative | wavespeed/image-upscaler: "
        "upscale the source first when a target needs more pixels (local: Lanczos3 + "
        "sharpen, up to x4, free, not AI; a vendor mode: AI, its price is the charge)"))
    ] = "none",
    out: Annotated[Path | None, Opt("--out", "-o", help="Also write the files here.")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Cut an image to every chosen platform target (local and free).

    Exact pixels, file type and byte limit, subject in the safe zone. The renditions go
    to the library as one set linked to the source (a file is first added to the
    library)."""
    point = _focal(focal)
    path = Path(image)
    data = path.read_bytes() if path.is_file() else None
    fields = {"platforms": _names(platforms), "templates": _names(templates),
              "all": all_templates, "fit": fit, "background": background,
              "strategy": strategy, "focal": point, "upscale": upscale}
    made, files = run_database_command(_run(image, data, fields))
    if out is not None:
        _write(made, files, out)
    if as_json:
        print_json(made.model_dump(mode="json"))
        return
    table = Table("template", "size", "format", "bytes", "quality", "safe zone", "asset")
    for r in made.renditions:
        table.add_row(r.template_id, f"{r.width}x{r.height}", r.format, f"{r.bytes:,}",
                      str(r.quality or "-"),
                      {True: "ok", False: "check", None: "-"}[r.subject_in_safe_zone],
                      r.asset_id or "-")
    console.print(table)
    for warning in made.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"set {made.set_id}: {len(made.renditions)} renditions in "
                  f"{made.render_ms:.0f} ms ({made.engine})")


Files = dict[str, bytes]


async def _run(
    image: str, data: bytes | None, fields: dict[str, object]
) -> tuple[OptimizeResponse, Files]:
    async with as_local_user() as (built, persistence, local):
        asset_id = await asset_id_of(persistence, local.user_id, image, data)
        request = OptimizeRequest.model_validate({"asset_id": asset_id, **fields})
        call = await prepare(persistence.library, persistence.store, local.user_id, request)
        outcome = await persistence.workflow.execute(built.optimization, local, call)
        await remember_focal(persistence.library, local.user_id, call)
        renditions = [
            r.model_copy(update={"asset_id": a.id if a else None})
            for r, a in zip(outcome.result.renditions, outcome.assets, strict=True)
        ]
        files = {r.template_id: out.data for r, out in
                 zip(renditions, outcome.outputs, strict=True) if out is not None}
        made = OptimizeResponse(**{**dict(outcome.result), "renditions": renditions},
                                set_id=outcome.job_id)
        return made, files


def _write(made: OptimizeResponse, files: Files, out: Path) -> None:
    """The renditions as ``out/<platform>/<template>.<ext>`` (the zip's layout)."""
    for r in made.renditions:
        data = files.get(r.template_id)
        if data is None:
            continue
        target = out / r.platform / f"{r.template_id}.{'jpg' if r.format == 'jpeg' else r.format}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def register(app: typer.Typer) -> None:
    app.command()(optimize)
