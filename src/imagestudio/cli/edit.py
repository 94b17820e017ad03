"""``imagestudio edit``: one edit of an image file or a library asset, as the user ``local``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from imagestudio.cli._common import (
    MAX_FILE_BYTES,
    MAX_FILE_PIXELS,
    as_local_user,
    console,
    print_json,
    single_output,
)
from imagestudio.cli.db import run_database_command
from imagestudio.edit.schemas import EditRequest, EditResult
from imagestudio.errors import InvalidRequest
from imagestudio.studio.edit import References, prepare_edit, prepare_upload, store_upload

Opt = typer.Option


def _params(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidRequest(f"--param {pair!r}: write NAME=VALUE", field="param")
        found[key.strip().replace("-", "_")] = value.strip()
    return found


def edit(
    image: Annotated[str, typer.Argument(help="An image file, or the id of a library asset.")],
    op: Annotated[str, Opt("--op", help=(
        "crop | rotate | flip | resize | adjust | sharpen | blur | background (local, free) "
        "| erase | inpaint | outpaint | search-and-replace | search-and-recolor "
        "| remove-background | instruct | sketch | structure | style (vendors; see "
        "`GET /api/image-studio/edit/operations`)"
    ))],
    mask: Annotated[Path | None, Opt("--mask", help="A PNG mask the image's size.")] = None,
    reference: Annotated[list[str] | None, Opt("--reference", "-r", help=(
        "A reference image (a file or a library asset id), repeatable: instruct engines "
        "that take them (see `references` in the operations list)."))] = None,
    prompt: Annotated[str | None, Opt("--prompt", help="What to paint, for vendor edits.")] = None,
    engine: Annotated[str | None, Opt("--engine", help=(
        "e.g. stability/inpaint, gemini/gemini-3-pro-image, wavespeed/qwen-image-edit "
        "(default: the first available)."))] = None,
    param: Annotated[list[str] | None, Opt("--param", "-p", help=(
        "NAME=VALUE, repeatable: degrees, direction, width, height, x, y, template-id, "
        "brightness, contrast, saturation, warmth, amount, radius, colour, left, right, up, "
        "down, search-prompt, select-prompt, negative-prompt, seed, control-strength, "
        "fidelity, aspect-ratio, style-preset"))] = None,
    output_format: Annotated[str | None, Opt("--format", "-f", help="png | jpeg | webp")] = None,
    out: Annotated[Path | None, Opt("--out", "-o", help="Also write the file here.")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Edit an image: local operations free, vendor operations priced per engine.

    Vendor operations are held and charged like any create. The result goes to the
    library linked to its source (history: GET /api/image-studio/assets/{id}/versions)."""
    path = Path(image)
    data = path.read_bytes() if path.is_file() else None
    fields: dict[str, Any] = {"op": op, "prompt": prompt, "engine": engine,
                              "format": output_format, **_params(param or [])}
    if data is None:
        fields["asset_id"] = image
    files: list[bytes] = []
    for item in reference or []:
        if Path(item).is_file():
            files.append(Path(item).read_bytes())
        else:
            fields.setdefault("reference_asset_ids", []).append(item)
    mask_data = mask.read_bytes() if mask is not None else None
    result, asset_id, file = run_database_command(
        _run(path.name, data, mask_data, fields, files))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(file)
    if as_json:
        print_json({**result.model_dump(mode="json"), "asset_id": asset_id})
        return
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"{result.op} by {result.engine}: {result.width}x{result.height} "
                  f"{result.format}, {result.bytes:,} bytes, asset {asset_id}, "
                  f"cost {result.cost_micros / 1_000_000:.2f} USD")


async def _run(
    name: str, data: bytes | None, mask: bytes | None, fields: dict[str, Any],
    references: list[bytes],
) -> tuple[EditResult, str | None, bytes]:
    async with as_local_user() as (built, persistence, local):
        given = {k: v for k, v in fields.items() if v is not None}
        request = EditRequest.model_validate(given)
        library, store = persistence.library, persistence.store
        if data is None:
            call = await prepare_edit(
                library, store, local.user_id, request, mask=mask,
                references=References(references, MAX_FILE_BYTES, MAX_FILE_PIXELS))
        else:
            call = await prepare_upload(library, store, local.user_id, request, data,
                                        mask=mask, max_bytes=MAX_FILE_BYTES,
                                        max_pixels=MAX_FILE_PIXELS, references=references)
            built.editor.plan(call)  # refuse before storing the file
            call = await store_upload(library, local.user_id, call, title=name,
                                      max_bytes=MAX_FILE_BYTES, max_pixels=MAX_FILE_PIXELS)
        outcome = await persistence.workflow.execute(built.editing, local, call)
        return single_output(outcome)


def register(app: typer.Typer) -> None:
    app.command()(edit)
