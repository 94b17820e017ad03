"""Which renditions a request asks for, and how each is encoded: catalog data to specs.

Sizes, safe zones, accepted file types and byte limits come from the catalog's
platforms; how to encode (start quality, floor, chroma, metadata) from
``optimize/data/output_rules.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.schemas import Platform, Template
from imagestudio.datafiles import read_yaml
from imagestudio.errors import InvalidRequest
from imagestudio.imaging.formats import OutputFormat
from imagestudio.imaging.renditions import Fit, RenditionSpec, Rgb, Subsampling

RULES_FILE = Path(__file__).parent / "data" / "output_rules.yaml"
MetadataRule = Literal["strip", "keep"]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quality: int | None = Field(default=None, ge=1, le=100)
    quality_floor: int | None = Field(default=None, ge=1, le=100)
    subsampling: Subsampling | None = None
    metadata: MetadataRule | None = None


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quality: int = Field(ge=1, le=100)
    quality_floor: int = Field(ge=1, le=100)
    subsampling: Subsampling
    metadata: MetadataRule


class OutputRules(BaseModel):
    """The encoding rules: defaults, overridden per platform id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: _Defaults
    platforms: dict[str, _Rule] = Field(default_factory=dict)

    def for_platform(self, platform: str) -> _Defaults:
        rule = self.platforms.get(platform)
        if rule is None:
            return self.defaults
        merged = {**self.defaults.model_dump(), **rule.model_dump(exclude_none=True)}
        if merged["quality_floor"] > merged["quality"]:
            raise ValueError(f"output rules for {platform}: quality_floor above quality")
        return _Defaults(**merged)


def load_rules(path: Path = RULES_FILE) -> OutputRules:
    return OutputRules.model_validate(read_yaml(path))


@dataclass(frozen=True)
class Target:
    """One requested rendition: a template and the platform it belongs to."""

    template: Template
    platform: Platform


def select_targets(
    catalog: Catalog,
    *,
    platforms: Sequence[str] = (),
    templates: Sequence[str] = (),
    all_templates: bool = False,
) -> list[Target]:
    """The templates named, every template of the platforms named (ids or aliases), or
    every template (``all_templates``); catalog order, no duplicates. Raises
    :class:`InvalidRequest` naming the field for an unknown value or an empty choice."""
    chosen: dict[str, Template] = {}
    if all_templates:
        chosen = dict(catalog.templates)
    for name in platforms:
        platform = catalog.find_platform(name.strip())
        if platform is None:
            valid = sorted(catalog.platforms)
            raise InvalidRequest(f"unknown platform {name!r}; valid: {', '.join(valid)}",
                                 field="platforms", details={"valid": valid})
        chosen.update({t.id: t for t in catalog.templates.values() if t.platform == platform.id})
    for name in templates:
        template = catalog.templates.get(name.strip())
        if template is None:
            raise InvalidRequest(
                f"unknown template {name!r}; see `imagestudio templates list`",
                field="templates",
            )
        chosen[template.id] = template
    if not chosen:
        raise InvalidRequest("name at least one platform or template, or ask for all",
                             field="platforms")
    order = {tid: i for i, tid in enumerate(catalog.templates)}
    return [Target(t, catalog.platforms[t.platform])
            for t in sorted(chosen.values(), key=lambda t: order[t.id])]


def output_format(platform: Platform, alpha: bool) -> tuple[OutputFormat, OutputFormat | None]:
    """The format a platform gets and the one to fall back to when it cannot meet the
    byte limit: PNG (or WebP) where there is transparency and the platform takes it,
    otherwise its first lossy type."""
    accepted = platform.file_types.value
    lossy: list[OutputFormat] = [f for f in ("jpeg", "webp") if f in accepted]
    ordered: list[OutputFormat] = sorted(lossy, key=accepted.index)
    first_lossy: OutputFormat = ordered[0] if ordered else "png"
    if alpha:
        keeps: list[OutputFormat] = [f for f in ("png", "webp") if f in accepted]
        if keeps:
            best = sorted(keeps, key=accepted.index)[0]
            return best, (None if best == "webp" else first_lossy)
    return first_lossy, None


def spec_for(
    target: Target,
    rules: OutputRules,
    *,
    alpha: bool,
    fit: Fit = "crop",
    background: Literal["blur"] | Rgb = "blur",
    provenance: Mapping[str, Any] | None = None,
) -> RenditionSpec:
    """The rendition spec of ``target`` for a source with (or without) ``alpha``."""
    template, platform = target.template, target.platform
    rule = rules.for_platform(platform.id)
    fmt, fallback = output_format(platform, alpha)
    zone = template.safe_zone
    keep = rule.metadata == "keep" and provenance is not None
    return RenditionSpec(
        key=template.id, width=template.width, height=template.height, fmt=fmt,
        fit=fit, background=background, quality=rule.quality,
        quality_floor=rule.quality_floor, subsampling=rule.subsampling,
        max_bytes=platform.max_file_bytes.value,
        safe_zone=(zone.top, zone.bottom, zone.left, zone.right),
        metadata=dict(provenance or {}, template=template.id) if keep else None,
        fallback_fmt=fallback,
    )
