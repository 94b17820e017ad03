"""Catalog commands: templates, platform specs, aspect ratios (no network, no keys)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from imagestudio.catalog import load_catalog, queries
from imagestudio.catalog.schemas import Template
from imagestudio.cli._common import console, print_json
from imagestudio.errors import InvalidRequest

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", "-p", help="e.g. instagram, x")]

templates_app = typer.Typer(help="Browse platform templates.", no_args_is_help=True)


def _template_table(rows: list[tuple[Template, float | None]], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "platform", "size", "ratio", "quality", "style", "name"):
        table.add_column(column)
    for template, _score in rows:
        table.add_row(
            template.id,
            template.platform,
            f"{template.width}×{template.height}",
            template.aspect_ratio,
            template.quality,
            template.style_preset,
            template.name,
        )
    return table


def _emit(rows: list[tuple[Template, float | None]], title: str, as_json: bool) -> None:
    if as_json:
        items: list[dict[str, Any]] = []
        for template, score in rows:
            item = template.model_dump(mode="json")
            if score is not None:
                item["score"] = round(score, 4)
            items.append(item)
        print_json({"templates": items, "total": len(items)})
    else:
        console.print(_template_table(rows, title))


@templates_app.command("list")
def list_templates(
    platform: PlatformOpt = None,
    category: Annotated[str | None, typer.Option("--category", "-c")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List templates, optionally for one platform or category."""
    found = queries.filter_templates(load_catalog(), platform=platform, category=category)
    _emit([(t, None) for t in found], f"{len(found)} templates", as_json)


@templates_app.command("search")
def search(query: str, as_json: JsonOpt = False) -> None:
    """Search templates by name, description and use cases (ranked)."""
    found = queries.search_templates(load_catalog(), query)
    _emit([(t, s) for t, s in found], f"{len(found)} templates matching {query!r}", as_json)


@templates_app.command("recommend")
def recommend(use_case: str, platform: PlatformOpt = None, as_json: JsonOpt = False) -> None:
    """Recommend templates for a use case (e.g. "product showcase")."""
    found = queries.recommend_templates(load_catalog(), use_case, platform=platform)
    _emit([(t, s) for t, s in found], f"recommended for {use_case!r}", as_json)


@templates_app.command("show")
def show(template_id: str, as_json: JsonOpt = False) -> None:
    """Show one template in full."""
    template = load_catalog().templates.get(template_id)
    if template is None:
        raise InvalidRequest(
            f"unknown template {template_id!r}; see `imagestudio templates list`",
            field="template_id",
        )
    if as_json:
        print_json(template)
        return
    zone = template.safe_zone
    console.print(f"[bold]{template.name}[/bold] ({template.id})")
    console.print(
        f"{template.platform} · {template.width}×{template.height} · "
        f"{template.aspect_ratio} (exact {template.aspect_ratio_exact})"
    )
    console.print(
        f"quality {template.quality} · style {template.style_preset} · "
        f"models {', '.join(template.recommended_models)}"
    )
    console.print(
        f"safe zone: top {zone.top:.0%} bottom {zone.bottom:.0%} "
        f"left {zone.left:.0%} right {zone.right:.0%}"
    )
    console.print(f"use cases: {'; '.join(template.use_cases)}")
    console.print(template.description)


def platform_specs(platform: str, as_json: JsonOpt = False) -> None:
    """Formats, file types, size limits and safe zones of one platform."""
    found = load_catalog().find_platform(platform)
    if found is None:
        names = ", ".join(load_catalog().platforms)
        raise InvalidRequest(f"unknown platform {platform!r}; valid: {names}", field="platform")
    if as_json:
        print_json(found)
        return
    table = Table(
        title=f"{found.name}: {', '.join(found.file_types.value)}, "
        f"max {found.max_file_bytes.value:,} bytes"
    )
    for column in ("format", "size", "ratio", "safe zone t/b/l/r", "source"):
        table.add_column(column)
    for fmt in found.formats:
        z = fmt.safe_zone
        table.add_row(
            fmt.name,
            f"{fmt.width}×{fmt.height}",
            fmt.ratio.label,
            f"{z.top:.0%}/{z.bottom:.0%}/{z.left:.0%}/{z.right:.0%}",
            f"{fmt.source} ({fmt.verified_on})",
        )
    console.print(table)


def aspect_ratios(as_json: JsonOpt = False) -> None:
    """The aspect-ratio presets, labels computed from their pixels."""
    presets = queries.list_aspect_ratios(load_catalog())
    if as_json:
        print_json({"aspect_ratios": presets})
        return
    table = Table(title="Aspect-ratio presets")
    for column in ("id", "name", "size", "label", "exact"):
        table.add_column(column)
    for p in presets:
        table.add_row(p["id"], p["name"], f"{p['width']}×{p['height']}", p["label"], p["exact"])
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")
    app.command("platform-specs")(platform_specs)
    app.command("aspect-ratios")(aspect_ratios)
