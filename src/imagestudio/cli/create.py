"""``imagestudio create`` and ``imagestudio estimate``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from imagestudio.cli._common import console, err_console, print_json, services
from imagestudio.errors import GenerationFailed
from imagestudio.generation.output import write_image
from imagestudio.generation.schemas import CreateRequest, CreateResult, QuotePublic
from imagestudio.generation.service import GenerationOutcome
from imagestudio.generation.service import Progress as StepProgress

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
    as_json: JsonOpt = False,
) -> None:
    """Generate images and write them (with JSON sidecars) into --out."""
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
    outcome = asyncio.run(_generate(request, show_progress=not as_json))
    result = _save(outcome, out)
    if result.status == "failed":
        reasons = "; ".join(
            f"#{v.index + 1}: {v.error.message}" for v in result.variations if v.error
        )
        raise GenerationFailed(f"all {result.num_requested} variations failed ({reasons})")
    if as_json:
        print_json(result)
    else:
        _print_result(result)


async def _generate(request: CreateRequest, *, show_progress: bool) -> GenerationOutcome:
    async with services() as built:
        plan = built.generation.plan(request)
        if not show_progress:
            return await built.generation.run(plan)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
        with Progress(*columns, console=err_console, transient=False) as bar:
            tasks = [
                bar.add_task(f"variation {i + 1} · seed {seed} · {plan.primary.model.id}", total=1)
                for i, seed in enumerate(plan.seeds)
            ]

            def update(step: StepProgress) -> None:
                if step.status == "succeeded":
                    bar.update(tasks[step.index], completed=1)
                elif step.status == "failed":
                    bar.update(
                        tasks[step.index],
                        completed=1,
                        description=f"variation {step.index + 1} failed: {step.message}",
                    )

            return await built.generation.run(plan, on_progress=update)


def _save(outcome: GenerationOutcome, out: Path) -> CreateResult:
    result = outcome.result
    stem = result.template_id or "image"
    sidecar = not outcome.plan.request.strip_metadata
    for variation, image in zip(result.variations, outcome.images, strict=True):
        if image is not None:
            variation.file = str(write_image(out, stem, variation.index, image, sidecar=sidecar))
    return result


def _print_result(result: CreateResult) -> None:
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
