"""Run a generation: plan it, call providers concurrently, post-process every image.

:class:`GenerationService` knows nothing about HTTP, the CLI or the database: it takes
a request and returns rendered images plus a typed result, so it can run inside a web
request, a CLI command or (later) a queue worker alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from imagestudio.catalog.loader import Catalog
from imagestudio.errors import StudioError
from imagestudio.generation.gateway import Attempt, Gateway
from imagestudio.generation.planner import GenerationPlan, ModelPlan, build_plan
from imagestudio.generation.postprocess import RenderedImage, finish_image, finishes_inline
from imagestudio.generation.schemas import (
    CreateRequest,
    CreateResult,
    ErrorPublic,
    QuotePublic,
    VariationPublic,
)
from imagestudio.imaging.engine import ImageEngine
from imagestudio.money import Money
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.errors import ProviderError, ProviderNotConfigured
from imagestudio.providers.journal import unit_refusal, unit_scope


@dataclass(frozen=True)
class Progress:
    """A variation changed state; ``done``/``total`` count finished variations."""

    index: int
    status: Literal["started", "succeeded", "failed"]
    done: int
    total: int
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass
class GenerationOutcome:
    """``images[i]`` is the rendered file of ``result.variations[i]`` (None when it failed)."""

    plan: GenerationPlan
    result: CreateResult
    images: list[RenderedImage | None] = field(default_factory=list)


@dataclass
class _Variation:
    public: VariationPublic
    image: RenderedImage | None


class GenerationService:
    def __init__(
        self,
        catalog: Catalog,
        gateway: Gateway,
        engine: ImageEngine,
        *,
        available_providers: Collection[str],
        provider_hints: Mapping[str, str] | None = None,
        max_concurrency: int = 4,
        rng: random.Random | None = None,
        retired_models: Collection[str] = (),
    ) -> None:
        self._catalog = catalog
        self._retired = frozenset(retired_models)
        self._gateway = gateway
        self._engine = engine
        self._available = frozenset(available_providers)
        self._hints = dict(provider_hints or {})
        self._max_concurrency = max_concurrency
        self._rng = rng or random.Random()

    @property
    def retired_models(self) -> frozenset[str]:
        """Model ids the configured vendor APIs no longer serve."""
        return self._retired

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def plan(self, request: CreateRequest) -> GenerationPlan:
        """Validate and price ``request`` without side effects (raises StudioError)."""
        return build_plan(self._catalog, request, self._available, self._rng, self._retired)

    def quote(self, request: CreateRequest) -> QuotePublic:
        return self.plan(request).quote

    async def create(
        self, request: CreateRequest, *, on_progress: ProgressCallback | None = None
    ) -> GenerationOutcome:
        return await self.run(self.plan(request), on_progress=on_progress)

    async def run(
        self, plan: GenerationPlan, *, on_progress: ProgressCallback | None = None
    ) -> GenerationOutcome:
        """Generate every variation of ``plan`` concurrently (bounded) and post-process them.

        Raises :class:`ProviderNotConfigured` before any call when the primary model's
        provider has no key. Individual failures are reported per variation; the result's
        ``status`` is ``failed`` only when every variation failed.
        """
        self._require_available(plan.primary)
        limit = asyncio.Semaphore(self._max_concurrency)
        total = len(plan.seeds)
        done = 0

        def report(index: int, status: Literal["started", "succeeded", "failed"], msg: str) -> None:
            nonlocal done
            if status != "started":
                done += 1
            if on_progress is not None:
                on_progress(Progress(index, status, done, total, msg))

        async def one(index: int, seed: int) -> _Variation:
            async with limit:
                with unit_scope(index):  # a job's journal sees which unit calls a vendor
                    refused = unit_refusal()
                    if isinstance(refused, StudioError):  # e.g. its job was cancelled
                        variation = _Variation(_failed(index, seed, refused), None)
                    else:
                        report(index, "started", "")
                        variation = await self._variation(plan, index, seed)
                error = variation.public.error
                report(index, variation.public.status, error.message if error else "")
                return variation

        variations = await asyncio.gather(*(one(i, s) for i, s in enumerate(plan.seeds)))
        return GenerationOutcome(
            plan=plan,
            result=_result(plan, [v.public for v in variations]),
            images=[v.image for v in variations],
        )

    def _require_available(self, primary: ModelPlan) -> None:
        provider = primary.model.provider
        if provider not in self._available:
            hint = self._hints.get(provider, "configure it")
            raise ProviderNotConfigured(
                f"provider {provider} is not configured: {hint}", provider=provider
            )

    async def _variation(self, plan: GenerationPlan, index: int, seed: int) -> _Variation:
        attempts = [
            Attempt(
                provider=mp.model.provider,
                model_id=mp.model.id,
                request=plan.provider_request(mp, seed),
            )
            for mp in plan.chain
        ]
        try:
            served = await self._gateway.generate(attempts)
            model_plan = plan.chain[served.index]
            generated = served.result.images[0]
            finish = (self._engine, plan, model_plan, generated, seed, index)
            if finishes_inline(generated, plan):
                image = finish_image(*finish)
            else:
                image = await asyncio.to_thread(finish_image, *finish)
        except StudioError as exc:
            return _Variation(_failed(index, seed, exc), None)
        return _Variation(
            _succeeded(plan, model_plan, generated, image, index, served.notes), image
        )


def _failed(index: int, seed: int, exc: StudioError) -> VariationPublic:
    details: dict[str, Any] = {}
    if isinstance(exc, ProviderError):
        details["provider"] = exc.provider
    return VariationPublic(
        index=index,
        seed=seed,
        status="failed",
        provider=details.get("provider"),
        error=ErrorPublic(code=exc.code, message=exc.message),
    )


def _succeeded(
    plan: GenerationPlan,
    model_plan: ModelPlan,
    generated: GeneratedImage,
    image: RenderedImage,
    index: int,
    notes: tuple[str, ...],
) -> VariationPublic:
    warnings = list(model_plan.warnings) if model_plan is not plan.primary else []
    if generated.content_filtered:
        warnings.append(
            f"{model_plan.model.id} filtered this image for content (blurred); "
            "the vendor bills filtered images"
        )
    fallback_from = None
    if model_plan is not plan.primary:
        fallback_from = plan.primary.model.id
        warnings.append(f"served by fallback model {model_plan.model.id} after: {'; '.join(notes)}")
    return VariationPublic(
        index=index,
        seed=image.seed,
        status="succeeded",
        provider=model_plan.model.provider,
        model=model_plan.model.id,
        width=image.width,
        height=image.height,
        media_type=image.media_type,
        cost=Money.of(model_plan.per_image_micros),
        warnings=warnings,
        fallback_from=fallback_from,
        content_filtered=generated.content_filtered,
    )


def _result(plan: GenerationPlan, variations: list[VariationPublic]) -> CreateResult:
    succeeded = sum(v.status == "succeeded" for v in variations)
    failed = len(variations) - succeeded
    status: Literal["succeeded", "partial", "failed"] = (
        "succeeded" if failed == 0 else "failed" if succeeded == 0 else "partial"
    )
    quote = plan.quote
    return CreateResult(
        success=succeeded > 0,
        status=status,
        prompt=plan.request.prompt,
        enhanced_prompt=plan.enhanced_prompt,
        template_id=plan.template.id if plan.template else None,
        template_name=plan.template.name if plan.template else None,
        quality=plan.quality,
        provider=plan.primary.model.provider,
        model=plan.primary.model.id,
        target=quote.target,
        generation=quote.generation,
        quote=quote.total,
        cost=Money.of(sum(v.cost.micros for v in variations)),
        num_requested=len(variations),
        num_succeeded=succeeded,
        num_failed=failed,
        warnings=list(plan.warnings),
        variations=variations,
    )


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
