"""Load ``catalog/data``, validate every file and cross-check every reference.

Image sources (providers) are not a data file: they come from :mod:`imagestudio.vendors`,
the one list every part of the studio derives vendor identity from.

The result is an immutable :class:`Catalog` with exact-name lookups only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from imagestudio.catalog.ratios import label_for, parse_ratio
from imagestudio.catalog.schemas import (
    QUALITY_TIERS,
    AspectRatioPreset,
    AspectRatioSizing,
    FixedSizing,
    ModelEntry,
    Platform,
    ProviderInfo,
    QualitySizePrice,
    QualityTier,
    RatioTierSizing,
    StylePreset,
    Template,
    TemplateSpec,
    TierPrice,
    TierSpec,
)
from imagestudio.catalog.video_targets import VideoModel, VideoTarget
from imagestudio.datafiles import read_yaml
from imagestudio.errors import InvalidRequest
from imagestudio.vendors import SOURCES, Vendor

DATA_DIR = Path(__file__).parent / "data"
T = TypeVar("T", bound=BaseModel)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class CatalogError(Exception):
    """A shipped or custom data file is invalid or references something unknown."""


@dataclass(frozen=True)
class Catalog:
    providers: Mapping[str, ProviderInfo]
    platforms: Mapping[str, Platform]
    templates: Mapping[str, Template]
    aspect_ratios: tuple[AspectRatioPreset, ...]
    styles: Mapping[str, StylePreset]
    tiers: Mapping[QualityTier, TierSpec]
    models: Mapping[str, ModelEntry]
    _names: Mapping[str, str] = field(repr=False)
    _platform_names: Mapping[str, str] = field(repr=False)
    video_targets: Mapping[str, VideoTarget] = field(default_factory=lambda: _EMPTY)
    _video_names: Mapping[str, str] = field(repr=False, default_factory=lambda: _EMPTY)
    video_models: Mapping[str, VideoModel] = field(default_factory=lambda: _EMPTY)

    def find_model(self, name: str, provider: str | None = None) -> ModelEntry | None:
        """Exact lookup by id, alias or vendor model id; ``provider`` scopes short names.

        ``("wavespeed", "ideogram-v3-turbo")``, ``"wavespeed/ideogram-v3-turbo"`` and
        ``"ideogram-ai/ideogram-v3-turbo"`` all name the same model. No substring matching.
        """
        if provider is not None:
            scoped = self._names.get(f"{provider}/{name}")
            if scoped is not None:
                return self.models[scoped]
        model_id = self._names.get(name)
        if model_id is None:
            return None
        model = self.models[model_id]
        if provider is not None and model.provider != provider:
            return None
        return model

    def find_platform(self, name: str) -> Platform | None:
        platform_id = self._platform_names.get(name.lower())
        return self.platforms[platform_id] if platform_id else None

    def find_video_target(self, name: str) -> VideoTarget | None:
        """Exact lookup by id or alias (case-insensitive)."""
        target_id = self._video_names.get(name.lower())
        return self.video_targets[target_id] if target_id else None

    def models_of(self, provider: str) -> list[ModelEntry]:
        return [m for m in self.models.values() if m.provider == provider]


def _read(path: Path) -> Any:
    try:
        return read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path.name}: {exc}") from exc


def _parse(model: type[T], items: Any, where: str) -> list[T]:
    try:
        return TypeAdapter(list[model]).validate_python(items)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise CatalogError(f"{where}: {exc}") from exc


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise CatalogError(f"duplicate {what} id {item!r}")
        seen.add(item)


def _resolve_template(spec: TemplateSpec, platforms: Mapping[str, Platform]) -> Template:
    platform = platforms.get(spec.platform)
    if platform is None:
        raise CatalogError(f"template {spec.id}: unknown platform {spec.platform!r}")
    fmt = platform.format(spec.format)
    if fmt is None:
        raise CatalogError(
            f"template {spec.id}: platform {spec.platform} has no format {spec.format!r}"
        )
    ratio = label_for(fmt.width, fmt.height)
    return Template(
        **spec.model_dump(),
        width=fmt.width,
        height=fmt.height,
        aspect_ratio=ratio.label,
        aspect_ratio_exact=ratio.exact,
        aspect_ratio_value=ratio.value,
        safe_zone=fmt.safe_zone,
    )


def _model_names(models: list[ModelEntry]) -> dict[str, str]:
    names: dict[str, str] = {}
    for model in models:
        keys = {model.id, model.provider_model_id, *model.aliases}
        keys |= {f"{model.provider}/{alias}" for alias in model.aliases}
        for key in keys:
            owner = names.setdefault(key, model.id)
            if owner != model.id:
                raise CatalogError(f"model name {key!r} is used by both {owner} and {model.id}")
    return names


def _check_model(model: ModelEntry) -> None:
    """Cross-field consistency the schema cannot see, which planning and pricing rely on."""
    where = f"model {model.id}"
    if model.params.seed != (model.seed is not None):
        raise CatalogError(f"{where}: params.seed and the seed range must be given together")
    sizing, rule = model.sizing, model.pricing.rule
    if isinstance(sizing, AspectRatioSizing | RatioTierSizing):
        for ratio in sizing.ratios:
            try:
                parse_ratio(ratio)
            except InvalidRequest as exc:
                raise CatalogError(f"{where}: bad ratio {ratio!r}") from exc
    if isinstance(sizing, RatioTierSizing) and sizing.default_tier not in sizing.tiers:
        raise CatalogError(f"{where}: default_tier {sizing.default_tier!r} is not a tier")
    if isinstance(rule, TierPrice) and (
        not isinstance(sizing, RatioTierSizing) or set(rule.table) != set(sizing.tiers)
    ):
        raise CatalogError(f"{where}: per_tier prices must cover exactly the sizing tiers")
    if isinstance(rule, QualitySizePrice):
        levels = set((model.quality_levels or {}).values())
        sizes = set(sizing.sizes) if isinstance(sizing, FixedSizing) else set()
        if set(rule.table) != levels or any(set(row) != sizes for row in rule.table.values()):
            raise CatalogError(
                f"{where}: per_quality_size prices must cover every quality level × fixed size"
            )


def _check_references(
    providers: Mapping[str, ProviderInfo],
    models: Mapping[str, ModelEntry],
    styles: Mapping[str, StylePreset],
    tiers: Mapping[QualityTier, TierSpec],
    templates: Mapping[str, Template],
) -> None:
    for model in models.values():
        _check_model(model)
        if model.provider not in providers:
            raise CatalogError(f"model {model.id}: unknown provider {model.provider!r}")
        if not model.id.startswith(f"{model.provider}/"):
            raise CatalogError(f"model {model.id}: id must start with its provider")
        if model.retired is not None and model.retired.replacement not in models:
            raise CatalogError(f"model {model.id}: unknown replacement model")
    missing_tiers = set(QUALITY_TIERS) - set(tiers)
    if missing_tiers or set(tiers) - set(QUALITY_TIERS):
        raise CatalogError(f"quality tiers must be exactly {QUALITY_TIERS}")
    for tier_id, tier in tiers.items():
        for model_id in tier.candidates:
            if model_id not in models:
                raise CatalogError(f"tier {tier_id}: unknown model {model_id!r}")
            if models[model_id].retired is not None:
                raise CatalogError(f"tier {tier_id}: {model_id} is retired; Auto never picks it")
    for template in templates.values():
        if template.style_preset not in styles:
            raise CatalogError(f"template {template.id}: unknown style {template.style_preset!r}")
        for model_id in template.recommended_models:
            if model_id not in models:
                raise CatalogError(f"template {template.id}: unknown model {model_id!r}")


def _video_targets(
    data_dir: Path, platforms: Mapping[str, Platform]
) -> tuple[dict[str, VideoTarget], dict[str, str]]:
    path = data_dir / "video_targets.yaml"
    targets = _parse(VideoTarget, _read(path), "video_targets.yaml") if path.exists() else []
    _unique([t.id for t in targets], "video target")
    names: dict[str, str] = {}
    for target in targets:
        if target.platform not in platforms:
            raise CatalogError(f"video target {target.id}: unknown platform {target.platform!r}")
        for name in (target.id, *target.aliases):
            if names.setdefault(name.lower(), target.id) != target.id:
                raise CatalogError(f"video target name {name!r} is ambiguous")
    return {t.id: t for t in targets}, names


def _video_models(data_dir: Path, providers: Mapping[str, ProviderInfo]) -> dict[str, VideoModel]:
    path = data_dir / "video_models.yaml"
    models = _parse(VideoModel, _read(path), "video_models.yaml") if path.exists() else []
    _unique([m.id for m in models], "video model")
    for model in models:
        if model.provider not in providers or not model.id.startswith(f"{model.provider}/"):
            raise CatalogError(f"video model {model.id}: unknown provider {model.provider!r}")
    return {m.id: m for m in models}


def provider_infos() -> list[ProviderInfo]:
    """The catalog's image sources, from :data:`imagestudio.vendors.SOURCES`."""
    return [
        ProviderInfo(
            id=source.id, name=source.name, docs=source.docs, offline=source.offline,
            key_env=source.key_env if isinstance(source, Vendor) else None,
            base_url=source.base_url if isinstance(source, Vendor) else None,
        )
        for source in SOURCES.values()
    ]


def load_catalog(data_dir: Path = DATA_DIR) -> Catalog:
    """Load and cross-check every data file under ``data_dir``; raise :class:`CatalogError`."""
    providers = provider_infos()
    platforms = _parse(Platform, _read(data_dir / "platforms.yaml"), "platforms.yaml")
    presets = _parse(
        AspectRatioPreset, _read(data_dir / "aspect_ratios.yaml"), "aspect_ratios.yaml"
    )
    styles = _parse(StylePreset, _read(data_dir / "styles.yaml"), "styles.yaml")
    models = _parse(ModelEntry, _read(data_dir / "models.yaml"), "models.yaml")
    tier_items = _read(data_dir / "quality_tiers.yaml")
    try:
        tiers = TypeAdapter(dict[QualityTier, TierSpec]).validate_python(tier_items)
    except ValidationError as exc:
        raise CatalogError(f"quality_tiers.yaml: {exc}") from exc
    specs: list[TemplateSpec] = []
    for path in sorted((data_dir / "templates").glob("*.yaml")):
        specs.extend(_parse(TemplateSpec, _read(path), f"templates/{path.name}"))

    for items, what in (
        ([p.id for p in providers], "provider"),
        ([p.id for p in platforms], "platform"),
        ([p.id for p in presets], "aspect-ratio preset"),
        ([s.id for s in styles], "style"),
        ([m.id for m in models], "model"),
        ([t.id for t in specs], "template"),
    ):
        _unique(items, what)

    platform_map = {p.id: p for p in platforms}
    platform_names: dict[str, str] = {}
    for platform in platforms:
        _unique([f.id for f in platform.formats], f"{platform.id} format")
        for name in (platform.id, *platform.aliases):
            if platform_names.setdefault(name.lower(), platform.id) != platform.id:
                raise CatalogError(f"platform name {name!r} is ambiguous")
    # Platforms' order in platforms.yaml (Instagram first) drives listing order.
    order = {platform.id: index for index, platform in enumerate(platforms)}
    specs.sort(key=lambda spec: order.get(spec.platform, len(order)))
    templates = {spec.id: _resolve_template(spec, platform_map) for spec in specs}
    provider_map = {p.id: p for p in providers}
    model_map = {m.id: m for m in models}
    style_map = {s.id: s for s in styles}
    _check_references(provider_map, model_map, style_map, tiers, templates)
    video_targets, video_names = _video_targets(data_dir, platform_map)
    return Catalog(
        providers=MappingProxyType(provider_map),
        platforms=MappingProxyType(platform_map),
        templates=MappingProxyType(templates),
        aspect_ratios=tuple(presets),
        styles=MappingProxyType(style_map),
        tiers=MappingProxyType(dict(tiers)),
        models=MappingProxyType(model_map),
        _names=MappingProxyType(_model_names(models)),
        _platform_names=MappingProxyType(platform_names),
        video_targets=MappingProxyType(video_targets),
        _video_names=MappingProxyType(video_names),
        video_models=MappingProxyType(_video_models(data_dir, provider_map)),
    )
