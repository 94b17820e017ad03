"""``imagestudio upscale``: local Lanczos3 + sharpen (not AI), as the user ``local``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from imagestudio.cli._common import (
    as_local_user,
    asset_id_of,
    console,
    print_json,
    single_output,
)
from imagestudio.cli.db import run_database_command
from imagestudio.optimize.upscale import UpscaleRequest, UpscaleResult
from imagestudio.studio.upscale import prepare_upscale

Opt = typer.Option


def upscale(
    image: Annotated[str, typer.Argument(help="An image file, or the id of a library asset.")],
    mode: Annotated[str, Opt("--mode", help=(
        "local (free, not AI) | stability/fast | stability/conservative | stability/creative "
        "| wavespeed/image-upscaler (paid; needs the vendor's key)"))] = "local",
    resume_id: Annotated[str | None, Opt(
        "--resume-id", help="stability/creative: collect a timed-out upscale by its id.",
    )] = None,
    scale: Annotated[int | None, Opt("--scale", help="local: 2 or 4.")] = None,
    width: Annotated[int | None, Opt("--width", help="Target width (keeps the ratio).")] = None,
    height: Annotated[int | None, Opt("--height", help="Target height.")] = None,
    no_sharpen: Annotated[bool, Opt("--no-sharpen", help="Resample only.")] = False,
    output_format: Annotated[str | None, Opt("--format", "-f", help="png | jpeg | webp")] = None,
    out: Annotated[Path | None, Opt("--out", "-o", help="Also write the file here.")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Enlarge an image, locally (free, not AI) or with a vendor's AI upscaler.

    Locally: Lanczos3 + a light sharpen (more pixels, not new detail). A vendor mode is
    priced per mode, held and charged like any create. The result goes to the library
    linked to its source."""
    path = Path(image)
    data = path.read_bytes() if path.is_file() else None
    fields = {"mode": mode, "resume_id": resume_id, "scale": scale, "width": width,
              "height": height, "sharpen": not no_sharpen, "format": output_format}
    result, asset_id, file = run_database_command(_run(image, data, fields))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(file)
    if as_json:
        print_json({**result.model_dump(mode="json"), "asset_id": asset_id})
        return
    console.print(f"{result.width}x{result.height} {result.format}, {result.bytes:,} bytes, "
                  f"asset {asset_id} ({result.label})")


async def _run(
    image: str, data: bytes | None, fields: dict[str, Any]
) -> tuple[UpscaleResult, str | None, bytes]:
    async with as_local_user() as (built, persistence, local):
        asset_id = await asset_id_of(persistence, local.user_id, image, data)
        given = {k: v for k, v in fields.items() if v is not None}
        request = UpscaleRequest.model_validate({"asset_id": asset_id, **given})
        call = await prepare_upscale(persistence.library, persistence.store, local.user_id,
                                     request)
        outcome = await persistence.workflow.execute(built.upscaling, local, call)
        return single_output(outcome)


def register(app: typer.Typer) -> None:
    app.command()(upscale)
