"""Turn a :class:`CreateRequest` into a :class:`GenerationPlan` without side effects.

The plan fixes everything before money is spent: template, exact target size, quality
tier, the model chain (primary first, same-tier fallbacks after), the size each model is
asked for, the prompt actually sent, per-variation seeds, warnings and the price. The cost
estimate *is* ``plan.quote``, so estimate and create can never disagree.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.ratios import label_for, parse_ratio, ratio_distance
from imagestudio.catalog.schemas import ModelEntry, NumberRange, QualityTier, StylePreset, Template
from imagestudio.errors import InvalidRequest, UnsupportedByModel
from imagestudio.generation.candidates import choose_models
from imagestudio.generation.prompts import enhance
from imagestudio.generation.schemas import (
    SEED_MAX,
    CreateRequest,
    GenerationSizePublic,
    QuotePublic,
    SizePublic,
)
from imagestudio.generation.sizing import Target, describe, plan_size, resolve_target
from imagestudio.generation.vendor_options import options_for, supported, wants_transparency
from imagestudio.money import Money
from imagestudio.pricing import price_per_image
from imagestudio.providers.base import ProviderRequest, SizeRequest

CROP_WARNING_FRACTION = 0.15
UPSCALE_WARNING_FACTOR = 1.5


@dataclass(frozen=True)
class ModelPlan:
    """How one model would serve this request."""

    model: ModelEntry
    size: SizeRequest
    vendor_quality: str | None
    per_image_micros: int
    warnings: tuple[str, ...]
    negative_prompt: str | None
    steps: int | None
    guidance: float | None
    style_preset: str | None
    sends_seed: bool

    def provider_request(
        self,
        prompt: str,
        seed: int,
        output_format: str,
        options: Mapping[str, Any] | None = None,
    ) -> ProviderRequest:
        wire_format = output_format if output_format in self.model.output_formats else "png"
        if wire_format not in self.model.output_formats:
            wire_format = self.model.output_formats[0]
        return ProviderRequest(
            model=self.model.provider_model_id,
            prompt=prompt,
            size=self.size,
            n=1,
            negative_prompt=self.negative_prompt,
            seed=self.model.seed.fit(seed) if self.sends_seed and self.model.seed else None,
            steps=self.steps,
            guidance=self.guidance,
            style_preset=self.style_preset,
            quality=self.vendor_quality,
            output_format=wire_format,
            options=dict(options or {}),
        )


@dataclass(frozen=True)
class GenerationPlan:
    request: CreateRequest
    template: Template | None
    target: Target
    quality: QualityTier
    style: StylePreset | None
    prompt: str
    enhanced_prompt: str | None
    chain: tuple[ModelPlan, ...]
    seeds: tuple[int, ...]
    warnings: tuple[str, ...]
    quote: QuotePublic

    @property
    def primary(self) -> ModelPlan:
        return self.chain[0]

    @property
    def safe_zone_fractions(self) -> tuple[float, float, float, float] | None:
        """``(top, bottom, left, right)`` of the target's safe zone, if it has one."""
        zone = self.target.safe_zone
        return (zone.top, zone.bottom, zone.left, zone.right) if zone else None

    def provider_request(self, model_plan: ModelPlan, seed: int) -> ProviderRequest:
        """The call for one variation: headline options only for models that draw it."""
        options = options_for(self.request, model_plan.model)
        if self.request.overlay_text and model_plan.model.params.overlay_text:
            options |= {
                "overlay_text": self.request.overlay_text,
                "safe_zone": self.safe_zone_fractions,
            }
        return model_plan.provider_request(self.prompt, seed, self.request.output_format, options)


def _fit_warnings(model: ModelEntry, size: SizeRequest, target: Target) -> list[str]:
    warnings: list[str] = []
    gen_ratio, target_ratio = size.width / size.height, target.ratio
    kept = min(gen_ratio, target_ratio) / max(gen_ratio, target_ratio)
    if 1 - kept > CROP_WARNING_FRACTION:
        warnings.append(
            f"{model.id} cannot generate {describe(target.width, target.height)}: it generates "
            f"{describe(size.width, size.height)} and {round((1 - kept) * 100)}% is cropped away"
        )
    scale = max(target.width / size.width, target.height / size.height) * (
        kept if gen_ratio != target_ratio else 1
    )
    if scale > UPSCALE_WARNING_FACTOR:
        warnings.append(
            f"{model.id} generates at most {size.width}×{size.height}; the image is upscaled "
            f"×{scale:.1f} to {target.width}×{target.height}"
        )
    return warnings


def _model_number(
    value: float | None, allowed: NumberRange | None, name: str, model: str,
    warnings: list[str],
) -> float | None:
    """``value`` as sent for a numeric model parameter: None when not given, dropped with
    a warning when the model has no such parameter, else clamped into its range (with a
    warning when it moved)."""
    if value is None:
        return None
    if allowed is None:
        warnings.append(f"{name} is not supported by {model} and was not sent")
        return None
    lo, hi = allowed.min, allowed.max
    if lo <= value <= hi:
        return value
    clamped = min(max(value, lo), hi)
    warnings.append(f"{name} {value:g} is outside {lo:g}–{hi:g} for {model}; sent {clamped:g}")
    return clamped


def _param_plan(
    model: ModelEntry, request: CreateRequest, style: StylePreset | None, warnings: list[str]
) -> dict[str, object]:
    params = model.params
    if request.negative_prompt and not params.negative_prompt:
        warnings.append(f"negative_prompt is not supported by {model.id} and was not sent")
    if request.seed is not None and model.seed is None:
        warnings.append(f"seed is not supported by {model.id}; variations are not reproducible")
    if request.seed is not None and model.seed is not None:
        fitted = model.seed.fit(request.seed)
        if fitted != request.seed:
            warnings.append(
                f"seed {request.seed} is outside {model.seed.min}-{model.seed.max} for "
                f"{model.id}; sent {fitted}"
            )
    if request.seed == 0 and model.seed is not None and model.seed.zero_means_random:
        warnings.append(f"{model.id} treats seed 0 as random; use a seed ≥ 1 to reproduce")
    steps = _model_number(request.steps, params.steps, "steps", model.id, warnings)
    guidance = _model_number(request.guidance_scale, params.guidance, "guidance_scale",
                             model.id, warnings)
    if style and not params.style_preset and not request.enhance_prompt:
        warnings.append(
            f"style_preset {style.id} was not applied: {model.id} has no style parameter "
            "and enhance_prompt is off"
        )
    return {
        "negative_prompt": request.negative_prompt if params.negative_prompt else None,
        "steps": None if steps is None else round(steps),
        "guidance": guidance,
        "style_preset": style.id if style and params.style_preset else None,
        "sends_seed": model.seed is not None,
    }


def plan_model(
    model: ModelEntry,
    request: CreateRequest,
    target: Target,
    quality: QualityTier,
    style: StylePreset | None,
    prompt: str,
) -> ModelPlan:
    warnings: list[str] = []
    if len(prompt) > model.max_prompt_chars:
        raise InvalidRequest(
            f"prompt is {len(prompt)} characters after enhancement; {model.id} accepts at most "
            f"{model.max_prompt_chars}",
            field="prompt",
        )
    size = plan_size(model.sizing, target)
    vendor_quality = model.quality_levels[quality] if model.quality_levels else None
    params = _param_plan(model, request, style, warnings)
    warnings.extend(_fit_warnings(model, size, target))
    return ModelPlan(
        model=model,
        size=size,
        vendor_quality=vendor_quality,
        per_image_micros=price_per_image(model, size, vendor_quality),
        warnings=tuple(warnings),
        negative_prompt=params["negative_prompt"],  # type: ignore[arg-type]
        steps=params["steps"],  # type: ignore[arg-type]
        guidance=params["guidance"],  # type: ignore[arg-type]
        style_preset=params["style_preset"],  # type: ignore[arg-type]
        sends_seed=bool(params["sends_seed"]),
    )


def _template(catalog: Catalog, request: CreateRequest) -> Template | None:
    if request.template_id is None:
        return None
    template = catalog.templates.get(request.template_id)
    if template is None:
        raise InvalidRequest(
            f"unknown template_id {request.template_id!r}; list them with GET /templates",
            field="template_id",
        )
    return template


def _style(
    catalog: Catalog, request: CreateRequest, template: Template | None
) -> StylePreset | None:
    style_id = request.style_preset or (template.style_preset if template else None)
    if style_id is None:
        return None
    style = catalog.styles.get(style_id)
    if style is None:
        raise InvalidRequest(
            f"unknown style_preset {style_id!r}; valid: {', '.join(catalog.styles)}",
            field="style_preset",
        )
    return style


def _seeds(request: CreateRequest, rng: random.Random, model: ModelEntry) -> tuple[int, ...]:
    """``base + i`` per variation, fitted to the primary model's seed range (a fallback
    refits its own); without a seed range, wrapped within the studio's."""
    base = request.seed if request.seed is not None else rng.randrange(0, 2**31)
    fit = model.seed.fit if model.seed else (lambda seed: seed % (SEED_MAX + 1))
    return tuple(fit(base + i) for i in range(request.num_variations))


def _quote(
    plan_chain: tuple[ModelPlan, ...],
    request: CreateRequest,
    quality: QualityTier,
    target: Target,
    warnings: tuple[str, ...],
) -> QuotePublic:
    primary = plan_chain[0]
    n = request.num_variations
    label = label_for(target.width, target.height)
    return QuotePublic(
        provider=primary.model.provider,
        model=primary.model.id,
        model_name=primary.model.name,
        ai_model=primary.model.ai_model,
        quality=quality,
        num_images=n,
        per_image=Money.of(primary.per_image_micros),
        total=Money.of(primary.per_image_micros * n),
        price_confirmed=primary.model.pricing.confirmed,
        target=SizePublic(
            width=target.width,
            height=target.height,
            aspect_ratio=label.label,
            aspect_ratio_exact=label.exact,
        ),
        generation=GenerationSizePublic(
            width=primary.size.width,
            height=primary.size.height,
            aspect_ratio=primary.size.aspect_ratio,
            tier=primary.size.tier,
        ),
        fallbacks=[p.model.id for p in plan_chain[1:]],
        warnings=list(warnings),
    )


def build_plan(
    catalog: Catalog, request: CreateRequest, available: Collection[str], rng: random.Random,
    retired: Collection[str] = (),
) -> GenerationPlan:
    """Plan ``request``; ``available`` names the providers that can be called right now,
    ``retired`` the models the configured vendor APIs no longer serve."""
    template = _template(catalog, request)
    target = resolve_target(catalog, request, template)
    quality: QualityTier = request.quality or (template.quality if template else "standard")
    style = _style(catalog, request, template)
    prompt = enhance(request.prompt, style) if request.enhance_prompt else request.prompt
    choice = choose_models(catalog, request, template, quality, target, available, retired)
    models = choice.models
    if wants_transparency(request):  # never a silently opaque fallback
        models = tuple(m for m in models if "background" in supported(m))
        if not models or models[0] is not choice.models[0]:
            raise UnsupportedByModel(
                f"{choice.models[0].id} cannot make transparent backgrounds; use a model "
                "that can (e.g. gpt-image-1) or background 'opaque' or 'auto'",
                field="background",
            )
    planned = [plan_model(m, request, target, quality, style, prompt) for m in models]
    # A fallback never costs more than the quote: the user is never charged above it.
    chain = (planned[0],) + tuple(
        p for p in planned[1:] if p.per_image_micros <= planned[0].per_image_micros
    )
    warnings = (*choice.warnings, *chain[0].warnings)
    if request.aspect_ratio and template:
        ratio = parse_ratio(request.aspect_ratio)
        if ratio_distance(ratio, template.aspect_ratio_value) > 0.01:
            warnings += (
                f"aspect_ratio {request.aspect_ratio} overrides template "
                f"{template.id} ({template.aspect_ratio}); its safe zone is not used",
            )
    return GenerationPlan(
        request=request,
        template=template,
        target=target,
        quality=quality,
        style=style,
        prompt=prompt,
        enhanced_prompt=prompt if request.enhance_prompt and prompt != request.prompt else None,
        chain=chain,
        seeds=_seeds(request, rng, chain[0].model),
        warnings=warnings,
        quote=_quote(chain, request, quality, target, warnings),
    )
