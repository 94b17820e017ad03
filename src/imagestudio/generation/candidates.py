"""Which model serves a request: explicit choices win, otherwise tier + aspect ratio decide.

All lookups are exact (ids, aliases, vendor ids); nothing is matched by substring.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.ratios import ratio_distance
from imagestudio.catalog.schemas import ModelEntry, QualityTier, Template
from imagestudio.errors import InvalidRequest, UnsupportedByModel
from imagestudio.generation.schemas import CreateRequest
from imagestudio.generation.sizing import Target, achievable_ratio

OFFLINE_MODEL = "local/draft-renderer"
AUTO = "auto"
# Ratios within this log-distance count as equally good, so tier order decides.
RATIO_BUCKET = 0.02


@dataclass(frozen=True)
class ModelChoice:
    models: tuple[ModelEntry, ...]
    warnings: tuple[str, ...]


def _explicit_model(
    catalog: Catalog, request: CreateRequest, retired: Collection[str]
) -> ModelEntry:
    assert request.model is not None
    provider = request.provider if request.provider not in (None, AUTO) else None
    if provider is not None and provider not in catalog.providers:
        raise InvalidRequest(
            f"unknown provider {provider!r}; valid: auto, {', '.join(catalog.providers)}",
            field="provider",
        )
    model = catalog.find_model(request.model, provider)
    if model is None:
        known = catalog.models_of(provider) if provider else list(catalog.models.values())
        names = ", ".join(m.id for m in known)
        scope = f" for provider {provider}" if provider else ""
        raise InvalidRequest(
            f"unknown model {request.model!r}{scope}; valid: {names}", field="model"
        )
    if model.id in retired and model.retired is not None:
        gone = model.retired
        raise UnsupportedByModel(
            f"{model.id} is retired on {gone.api} (since {gone.since}); use {gone.replacement}",
            field="model", details={"replacement": gone.replacement},
        )
    return model


def _rank(models: list[ModelEntry], target: Target, preferred: Collection[str]) -> list[ModelEntry]:
    def key(item: tuple[int, ModelEntry]) -> tuple[int, int, int]:
        order, model = item
        distance = ratio_distance(achievable_ratio(model.sizing, target), target.ratio)
        return (round(distance / RATIO_BUCKET), 0 if model.id in preferred else 1, order)

    return [model for _, model in sorted(enumerate(models), key=key)]


def _provider_models(catalog: Catalog, provider: str, quality: QualityTier) -> list[ModelEntry]:
    if provider not in catalog.providers:
        raise InvalidRequest(
            f"unknown provider {provider!r}; valid: auto, {', '.join(catalog.providers)}",
            field="provider",
        )
    in_tier = [
        catalog.models[m]
        for m in catalog.tiers[quality].candidates
        if catalog.models[m].provider == provider
    ]
    if in_tier:
        return in_tier
    return [m for m in catalog.models_of(provider) if not m.deprecated and m.retired is None]


def choose_models(
    catalog: Catalog,
    request: CreateRequest,
    template: Template | None,
    quality: QualityTier,
    target: Target,
    available: Collection[str],
    retired: Collection[str] = (),
) -> ModelChoice:
    """The model chain for ``request``: the primary first, then same-tier fallbacks.

    An explicit model has no fallbacks (the user chose it); one in ``retired`` (ids retired
    on the API its provider is configured for) is refused, and Auto never picks a model
    with a retirement. An explicit provider limits the
    chain to that provider. ``auto`` picks among the tier's candidates whose provider is
    available, closest native aspect ratio first; with none available, the offline renderer.
    """
    if request.model:
        return ModelChoice((_explicit_model(catalog, request, retired),), ())
    preferred = template.recommended_models if template else ()
    if request.provider not in (None, AUTO):
        assert request.provider is not None
        models = _provider_models(catalog, request.provider, quality)
        return ModelChoice(tuple(_rank(models, target, preferred)), ())
    candidates = [catalog.models[m] for m in catalog.tiers[quality].candidates]
    usable = [m for m in candidates if m.provider in available and m.retired is None]
    if usable:
        return ModelChoice(tuple(_rank(usable, target, preferred)), ())
    offline = catalog.models[OFFLINE_MODEL]
    warning = (
        f"no provider for the {quality} tier is configured; using the offline draft renderer "
        "(not an AI model). Set a provider key to generate with AI."
    )
    return ModelChoice((offline,), (warning,))
