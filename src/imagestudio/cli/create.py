"""``imagestudio create`` and ``imagestudio estimate``.

``create`` runs through the studio's workflow as the user ``local`` (the user of
``serve --single-user``): its images land in the library and its cost in the ledger,
checked against that user's plan and credit like any create. ``--no-library`` only
writes the files, as a plain renderer would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from imagestudio.cli._common import as_local_user, console, err_console, print_json, services
from imagestudio.cli.db import run_database_command
from imagestudio.errors import GenerationFailed, InsufficientCredits
from imagestudio.generation.output import write_image
from imagestudio.generation.postprocess import RenderedImage
from imagestudio.generation.schemas import CreateRequest, CreateResult, QuotePublic
from imagestudio.studio.contracts import Outcome, UnitEvent, UnitListener
from imagestudio.studio.workflow import UnrecordedOutcome

Opt = typer.Option
TemplateOpt = Annotated[
    str | None, Opt("--template", "-t", help="Template id (see `templates list`).")
]
QualityOpt = Annotated[str | None, Opt("--quality", "-q", help="draft | standard | premium")]
ProviderOpt = Annotated[str | None, Opt("--provider", help="Provider id or auto.")]
ModelOpt = Annotated[str | None, Opt("--model", "-m", help="Model id or alias.")]
WidthOpt = Annotated[int | None, Opt("--width", help="Output width in px.")]
HeightOpt = Annotated[int | None, Opt("--height", help="Output height in px.")]
RatioOpt = Annotated[str | None, Opt("--aspect-ratio", help='e.g. "16:9" or "1.91:1".')]
CountOpt = Annotated[int, Opt("-n", "--num-variations", help="Variations, 1–10.")]
JsonOpt = Annotated[bool, Opt("--json", help="Print machine-readable JSON.")]


def _request(prompt: str, **fields: Any) -> CreateRequest:
    return CreateRequest(prompt=prompt, **{k: v for k, v in fields.items() if v is not None})


def create(
    prompt: Annotated[str, typer.Argument(help="What to generate.")],
    template: TemplateOpt = None,
    quality: QualityOpt = None,
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    style: Annotated[str | None, Opt("--style", "-s", help="Style preset id.")] = None,
    width: WidthOpt = None,
    height: HeightOpt = None,
    aspect_ratio: RatioOpt = None,
    n: CountOpt = 1,
    seed: Annotated[int | None, Opt("--seed", help="Base seed; 0 is a real seed.")] = None,
    negative_prompt: Annotated[str | None, Opt("--negative-prompt")] = None,
    overlay_text: Annotated[
        str | None, Opt("--overlay-text", help="Headline drawn in the safe zone.")
    ] = None,
    output_format: Annotated[str, Opt("--format", "-f", help="png | jpeg | webp")] = "png",
    no_enhance: Annotated[bool, Opt("--no-enhance", help="Send the prompt as typed.")] = False,
    strip_metadata: Annotated[
        bool, Opt("--strip-metadata", help="No metadata in file or sidecar.")
    ] = False,
    out: Annotated[Path, Opt("--out", "-o", help="Output directory.")] = Path("output"),
    no_library: Annotated[bool, Opt(
        "--no-library", help="Only write files: no library, no ledger, no credit check.",
    )] = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate images into the library, the ledger and --out.

    As the user 'local' (like the web UI of `serve --single-user`); with JSON sidecars
    in --out."""
    request = _request(
        prompt,
        template_id=template,
        quality=quality,
        provider=provider,
        model=model,
        style_preset=style,
        width=width,
        height=height,
        aspect_ratio=aspect_ratio,
        num_variations=n,
        seed=seed,
        negative_prompt=negative_prompt,
        overlay_text=overlay_text,
        output_format=output_format,
        enhance_prompt=not no_enhance,
        strip_metadata=strip_metadata,
    )
    progress = _progress_bars() if not as_json else contextlib.nullcontext(None)
    try:
        with progress as bars:
            if no_library:
                made = asyncio.run(_files_only(request, bars))
            else:
                made = run_database_command(_in_library(request, bars, out))
    except GenerationFailed as exc:
        raise _with_reasons(exc) from None
    result = _save(made, out, sidecar=not request.strip_metadata)
    if as_json:
        print_json({**result.model_dump(mode="json"), "generation_id": made.job_id or None})
    else:
        _print_result(result, made.job_id)


async def _files_only(request: CreateRequest, bars: UnitListener | None) -> Outcome[CreateResult]:
    """Plan and run without the workflow: nothing is recorded, held or charged (the
    outcome's job id is empty)."""
    async with services() as built:
        module = built.image_generation
        ran = await module.runner.run(module.planner.plan(request).plan, on_unit=bars)
    made = Outcome("", ran.result, [u.output for u in ran.units], [None] * len(ran.units))
    error = module.failure(made)
    if error is not None:
        raise error
    return made


async def _in_library(
    request: CreateRequest, bars: UnitListener | None, out: Path
) -> Outcome[CreateResult]:
    """Run through the workflow as the user 'local', like a create from the web UI."""
    async with as_local_user() as (built, persistence, local):
        try:
            return await persistence.workflow.execute(
                built.image_generation, local, request, on_unit=bars
            )
        except InsufficientCredits as exc:
            raise InsufficientCredits(
                f"{exc.message}; grant the user '{local.user_name}' credit with "
                f"`imagestudio credits grant {local.user_name} <USD>`, or pass --no-library",
                details=exc.details,
            ) from None
        except UnrecordedOutcome as exc:  # charged and stored: still hand the files over
            _save(exc.outcome, out, sidecar=not request.strip_metadata)
            raise


def _with_reasons(error: GenerationFailed) -> GenerationFailed:
    """The error with each variation's reason in its one line."""
    variations = error.details.get("variations", [])
    reasons = "; ".join(f"#{v['index'] + 1}: {v['message']}" for v in variations)
    return GenerationFailed(f"all {len(variations)} variations failed ({reasons})",
                            details=error.details)


@contextlib.contextmanager
def _progress_bars() -> Iterator[UnitListener]:
    """A progress bar per variation on stderr, shown from the first unit event on (so a
    refused request prints only its error)."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    bar = Progress(*columns, console=err_console, transient=False)
    tasks: list[TaskID] = []

    def update(event: UnitEvent) -> None:
        if not tasks:
            bar.start()
            tasks.extend(bar.add_task(f"variation {i + 1}", total=1) for i in range(event.total))
        task, name = tasks[event.index], f"variation {event.index + 1}"
        if event.status == "started":
            bar.update(task, description=f"{name} · {event.message}")
        elif event.status == "succeeded":
            bar.update(task, completed=1)
        else:
            bar.update(task, completed=1, description=f"{name} failed: {event.message}")

    try:
        yield update
    finally:
        if tasks:
            bar.stop()


def _save(made: Outcome[CreateResult], out: Path, *, sidecar: bool) -> CreateResult:
    result = made.result
    stem = result.template_id or "image"
    for variation, image, asset in zip(result.variations, made.outputs, made.assets,
                                       strict=True):
        if isinstance(image, RenderedImage):
            variation.file = str(write_image(out, stem, variation.index, image, sidecar=sidecar))
        if asset is not None:
            variation.asset_id = asset.id
    return result


def _print_result(result: CreateResult, job_id: str) -> None:
    table = Table(title=f"{result.num_succeeded}/{result.num_requested} images · {result.model}")
    for column in ("#", "seed", "model", "size", "cost", "file"):
        table.add_column(column)
    for v in result.variations:
        size = f"{v.width}×{v.height}" if v.width else "—"
        file = Path(v.file).name if v.file else (v.error.message if v.error else "")
        table.add_row(str(v.index + 1), str(v.seed), v.model or "—", size, v.cost.usd, file)
    console.print(table)
    if result.enhanced_prompt:
        console.print(f"[dim]enhanced prompt:[/dim] {result.enhanced_prompt}")
    console.print(f"total cost {result.cost.usd} (quoted {result.quote.usd})")
    if job_id:
        console.print(f"in your library as generation {job_id} (user 'local')")
    for warning in {*result.warnings, *(w for v in result.variations for w in v.warnings)}:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def estimate(
    prompt: Annotated[
        str, typer.Argument(help="Optional prompt (affects length limits only).")
    ] = "cost estimate",
    template: TemplateOpt = None,
    quality: QualityOpt = None,
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    width: WidthOpt = None,
    height: HeightOpt = None,
    aspect_ratio: RatioOpt = None,
    n: CountOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    """Quote a generation without spending anything (same rules as create)."""
    request = _request(
        prompt,
        template_id=template,
        quality=quality,
        provider=provider,
        model=model,
        width=width,
        height=height,
        aspect_ratio=aspect_ratio,
        num_variations=n,
    )
    quote = asyncio.run(_quote(request))
    if as_json:
        print_json(quote)
        return
    console.print(
        f"{quote.num_images} × {quote.per_image.usd} = [bold]{quote.total.usd}[/bold] "
        f"with {quote.model} ({quote.model_name}) at {quote.generation.width}×"
        f"{quote.generation.height} → {quote.target.width}×{quote.target.height}"
    )
    if quote.fallbacks:
        console.print(f"fallbacks if it fails: {', '.join(quote.fallbacks)} (never pricier)")
    if not quote.price_confirmed:
        console.print("[yellow]price not confirmed by a primary source[/yellow]")
    for warning in quote.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


async def _quote(request: CreateRequest) -> QuotePublic:
    async with services() as built:
        return built.generation.quote(request)


def register(app: typer.Typer) -> None:
    app.command()(create)
    app.command()(estimate)
