"""``imagestudio transform``: turn an image (a file, or an asset id of the user 'local')
into a short clip for a video target, through the studio workflow (library, ledger and
the ``video`` quota, like the web UI of ``serve --single-user``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn

from imagestudio.cli._common import as_local_user, console, err_console, print_json
from imagestudio.cli.db import run_database_command
from imagestudio.errors import InvalidRequest
from imagestudio.studio.contracts import Outcome, UnitEvent, UnitListener
from imagestudio.video.motion import EASES, PRESETS
from imagestudio.video.schemas import TransformRequest, TransformResult

Opt = typer.Option


def transform(
    image: Annotated[str, typer.Argument(help="An image file, or an asset id in your library.")],
    preset: Annotated[str, Opt("--preset", "-p", help=" | ".join(PRESETS))] = "zoom-in",
    duration: Annotated[float, Opt("--duration", "-d", help="Seconds (up to 60).")] = 6.0,
    target: Annotated[str, Opt("--target", "-t", help="Video target id (see README).")] = (
        "instagram_reel"
    ),
    fps: Annotated[int | None, Opt("--fps", help="Frames per second (target default).")] = None,
    ease: Annotated[str | None, Opt("--ease", help=" | ".join(EASES))] = None,
    focal: Annotated[str | None, Opt("--focal", help='Focal point "x,y" in 0..1.')] = None,
    headline: Annotated[str | None, Opt("--headline", help="Text in the safe zone.")] = None,
    cta: Annotated[str | None, Opt("--cta", help="Call to action under it.")] = None,
    fade_in: Annotated[float, Opt("--fade-in", help="Seconds from black.")] = 0.0,
    fade_out: Annotated[float, Opt("--fade-out", help="Seconds to black.")] = 0.0,
    audio: Annotated[Path | None, Opt("--audio", help="Soundtrack file (cut to fit).")] = None,
    model: Annotated[str, Opt("--model", "-m", help=(
        "local/motion-presets (free, not AI), gemini/veo-3.1-generate-preview or "
        "wavespeed/wan-2.6-i2v (the vendor makes the clip; needs its API key)"))] = (
        "local/motion-presets"
    ),
    prompt: Annotated[str | None, Opt("--prompt", help="What should happen (vendor models).")]
    = None,
    out: Annotated[Path, Opt("--out", "-o", help="Output directory.")] = Path("output"),
    as_json: Annotated[bool, Opt("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Turn an image into a short MP4: a local motion preset or a vendor's video model.

    A preset is free, offline and not AI; a vendor model (--model, --prompt) is priced
    per second. Into the library of the user 'local' and --out. Runs in this process
    (synchronously); the API's POST /transform is a job."""
    fields: dict[str, Any] = {
        "preset": preset, "duration": duration, "target": target, "fps": fps, "ease": ease,
        "headline": headline, "cta": cta, "fade_in": fade_in, "fade_out": fade_out,
        "model": model, "prompt": prompt, **_focal(focal),
    }
    if audio is not None:
        fields["audio"] = _read(audio, "audio")
    progress = _progress_bar() if not as_json else contextlib.nullcontext(None)
    with progress as bar:
        made = run_database_command(_run(image, fields, bar))
    result = made.result
    path = None
    output = made.outputs[0] if made.outputs else None
    if output is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{result.target}-{result.preset}-{made.job_id[:8]}.mp4"
        path.write_bytes(output.data)
    asset = made.assets[0] if made.assets else None
    if as_json:
        print_json({**result.model_dump(mode="json"), "generation_id": made.job_id,
                    "asset_id": asset.id if asset else None, "file": str(path) if path else None})
        return
    video = result.video
    assert video is not None
    console.print(f"{video.width}×{video.height} · {video.duration_s:g} s · {video.fps} fps · "
                  f"{video.codec} · {video.size_bytes:,} bytes → {path}")
    console.print(f"{result.label} · cost ${result.cost_micros / 1e6:.2f}")
    if asset is not None:
        console.print(f"in your library as asset {asset.id} (user 'local')")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def _focal(value: str | None) -> dict[str, float]:
    if value is None:
        return {}
    try:
        x, y = (float(part) for part in value.split(","))
    except ValueError:
        raise InvalidRequest('focal: write it as "x,y", e.g. 0.7,0.3', field="focal") from None
    return {"focal_x": x, "focal_y": y}


def _read(path: Path, field: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"{field}: cannot read {path} ({exc.strerror})", field=field) from None


async def _run(image: str, fields: dict[str, Any],
               bar: UnitListener | None) -> Outcome[TransformResult]:
    async with as_local_user() as (built, persistence, local):
        source = Path(image)
        if source.is_file():
            data, asset_id = _read(source, "image"), None
        else:
            asset = await persistence.library.get(local.user_id, image)
            if not asset.media_type.startswith("image/"):
                raise InvalidRequest(f"image: asset {image} is not an image", field="image")
            data, asset_id = await persistence.store.read(asset.file_key), asset.id
        request = TransformRequest.model_validate(
            {**{k: v for k, v in fields.items() if v is not None},
             "image": data, "source_asset_id": asset_id}
        )
        return await persistence.workflow.execute(built.transform, local, request, on_unit=bar)


@contextlib.contextmanager
def _progress_bar() -> Iterator[UnitListener]:
    """One bar over the clip's frames on stderr, from the first event on."""
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.percentage:>3.0f}%"), console=err_console)
    tasks: list[TaskID] = []

    def update(event: UnitEvent) -> None:
        if not tasks:
            bar.start()
            tasks.append(bar.add_task(event.message or "clip", total=1.0))
        if event.status == "failed":
            bar.update(tasks[0], description=f"failed: {event.message}")
        elif event.progress is not None:
            bar.update(tasks[0], completed=event.progress)

    try:
        yield update
    finally:
        if tasks:
            bar.stop()


def register(app: typer.Typer) -> None:
    app.command()(transform)
