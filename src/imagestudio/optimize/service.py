"""The Social Optimizer: plan (which targets, checked, free) and run (render the set).

Pure domain work: it never touches credits, jobs or the library; the studio workflow
(:mod:`imagestudio.studio.optimize`) does. :meth:`OptimizerService.render` is CPU-bound
and synchronous: callers on the event loop run it in a worker thread.
"""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from imagestudio.catalog.loader import Catalog
from imagestudio.errors import InvalidRequest
from imagestudio.imaging.faces import faces_available
from imagestudio.imaging.files import OutputFile as OutputFile  # studio imports it here
from imagestudio.imaging.formats import extension_for, media_type_for
from imagestudio.imaging.renditions import (
    RenderOptions,
    Rendition,
    RenditionEngine,
    RenditionSpec,
    Rgb,
    cover_size,
    render_set,
)
from imagestudio.optimize.schemas import (
    OptimizeCall,
    OptimizeResult,
    PreviewPublic,
    PreviewResponse,
    RenditionPublic,
)
from imagestudio.optimize.targets import OutputRules, Target, select_targets, spec_for

PREVIEW_SIDE = 320


@dataclass(frozen=True)
class OptimizePlan:
    call: OptimizeCall
    targets: tuple[Target, ...]
    warnings: tuple[str, ...]
    upscale_factor: float | None = None  # the source is upscaled locally by this first
    short: tuple[str, ...] = ()  # the templates that need more pixels than the source has

MAX_UPSCALE = 4.0


class OptimizerService:
    """``engine`` builds the rendition engine on first use (no imaging library is loaded
    by a server that never optimizes)."""

    def __init__(
        self, catalog: Catalog, engine: Callable[[], RenditionEngine], rules: OutputRules, *,
        max_pixels: int, threads: int = 2,
    ) -> None:
        self._catalog = catalog
        self._make_engine = engine
        self._rules = rules
        self._max_pixels = max_pixels
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="optimize")

    @functools.cached_property
    def _engine(self) -> RenditionEngine:
        return self._make_engine()  # on first use

    @property
    def max_pixels(self) -> int:
        """The largest source (or upscaled source) it renders from."""
        return self._max_pixels

    @property
    def engine_name(self) -> str:
        return self._engine.name

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def plan(self, call: OptimizeCall) -> OptimizePlan:
        """The targets of ``call`` (InvalidRequest naming the field for a bad choice).

        A vendor ``upscale`` is only noted here (``short``: the targets needing more
        pixels); the studio planner prices it and runs it before :meth:`render`."""
        request, source = call.request, call.source
        targets = select_targets(self._catalog, platforms=request.platforms,
                                 templates=request.templates, all_templates=request.all)
        if source.width * source.height > self._max_pixels:
            raise InvalidRequest(
                f"the source is {source.width}x{source.height}; the optimizer takes at most "
                f"{self._max_pixels} pixels", field="asset_id",
            )
        if request.strategy == "faces" and call.focal is None and not faces_available():
            raise InvalidRequest(
                "strategy faces needs OpenCV: install the faces extra "
                "(pip install 'imagestudio[faces]'), or choose attention", field="strategy")
        short = _short(request.fit, source.width, source.height, targets)
        factor = None
        if short and request.upscale == "local":
            room = (self._max_pixels / (source.width * source.height)) ** 0.5
            factor = round(min(max(short.values()), MAX_UPSCALE, room), 3)
        vendor = request.upscale not in ("none", "local")
        warnings = [] if vendor else [
            f"{tid}: the source has fewer pixels than the target; it is enlarged ×{need:.2f}"
            + (" (upscale: local, or upscale it first, for more pixels)" if factor is None
               else f" (×{factor:.2f} of that by the local upscale)")
            for tid, need in short.items() if factor is None or need > factor + 1e-3
        ]
        if factor is not None:
            warnings.insert(0, f"the source was upscaled locally ×{factor:.2f} (Lanczos3 + "
                               "sharpen: more pixels, no new detail; not AI) for "
                               + ", ".join(short))
        if vendor and not short:
            warnings.append(f"no target needs more pixels than the source has: "
                            f"{request.upscale} was not used, and nothing is charged for it")
        return OptimizePlan(call, tuple(targets), tuple(warnings), factor, tuple(short))

    def render(self, plan: OptimizePlan) -> tuple[OptimizeResult, list[OutputFile]]:
        """Every target of ``plan`` rendered; one output file per target, in order."""
        started = time.perf_counter()
        call = plan.call
        source = self._engine.load(call.source.data, max_pixels=self._max_pixels)
        if plan.upscale_factor is not None:
            f = plan.upscale_factor
            source = self._engine.enlarged(source, round(source.width * f),
                                           round(source.height * f))
        provenance = {"source_asset": call.source.asset_id, "operation": "optimize"}
        specs = [self._spec(call, t, source.has_alpha, provenance) for t in plan.targets]
        renditions = render_set(self._engine, source, specs, self._options(call), self._pool)
        public, files = [], []
        for i, (target, spec, r) in enumerate(zip(plan.targets, specs, renditions, strict=True)):
            public.append(_public(i, target, spec, r, source.width, source.height))
            files.append(OutputFile(
                data=r.data, media_type=media_type_for(r.fmt), extension=extension_for(r.fmt),
                width=r.width, height=r.height,
                metadata={
                    "template_id": target.template.id, "platform": target.platform.id,
                    "provider": "local", "model": f"optimize/{self._engine.name}",
                    "parent_id": call.source.asset_id, "operation": "optimize",
                    "parameters": {**_parameters(call, r), "upscaled": plan.upscale_factor},
                },
            ))
        result = OptimizeResult(
            source_asset_id=call.source.asset_id, engine=self._engine.name,
            strategy="focal" if call.focal else call.request.strategy, focal=call.focal,
            fit=call.request.fit, renditions=public,
            warnings=[*plan.warnings, *(w for r in renditions for w in r.warnings)],
            render_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return result, files

    def preview(self, plan: OptimizePlan, side: int = PREVIEW_SIDE) -> PreviewResponse:
        """Small JPEG previews of every target (same crops, no byte limits): fast enough
        to follow a dragged focal point."""
        started = time.perf_counter()
        call = plan.call
        source = self._engine.load(call.source.data, max_pixels=self._max_pixels)
        specs = []
        for t in plan.targets:
            full = self._spec(call, t, False, None)
            scale = min(1.0, side / max(full.width, full.height))
            specs.append(RenditionSpec(
                key=full.key, width=max(1, round(full.width * scale)),
                height=max(1, round(full.height * scale)), fmt="jpeg", fit=full.fit,
                background=full.background, quality=70, quality_floor=70,
                safe_zone=full.safe_zone,
            ))
        renditions = render_set(self._engine, source, specs, self._options(call), self._pool)
        previews = [
            PreviewPublic(
                template_id=t.template.id, platform=t.platform.id, width=t.template.width,
                height=t.template.height, safe_zone=spec.safe_zone,
                crop=_fractions(r.crop, source.width, source.height),
                subject_in_safe_zone=r.subject_in_safe_zone,
                image="data:image/jpeg;base64," + base64.b64encode(r.data).decode("ascii"),
            )
            for t, spec, r in zip(plan.targets, specs, renditions, strict=True)
        ]
        return PreviewResponse(source_asset_id=call.source.asset_id, focal=call.focal,
                               previews=previews,
                               render_ms=round((time.perf_counter() - started) * 1000, 1))

    def _spec(self, call: OptimizeCall, target: Target, alpha: bool,
              provenance: dict[str, Any] | None) -> RenditionSpec:
        return spec_for(target, self._rules, alpha=alpha, fit=call.request.fit,
                        background=_background(call.request.background), provenance=provenance)

    @staticmethod
    def _options(call: OptimizeCall) -> RenderOptions:
        focal = (call.focal.x, call.focal.y) if call.focal else None
        return RenderOptions(strategy=call.request.strategy, focal=focal)


def _short(fit: str, width: int, height: int, targets: Sequence[Target]) -> dict[str, float]:
    """Template id → how much a crop to it enlarges a ``width × height`` source (only
    the templates that do)."""
    short: dict[str, float] = {}
    for t in targets:
        cw, ch = cover_size(width, height, t.template.width, t.template.height)
        if fit == "crop" and (cw < t.template.width or ch < t.template.height):
            short[t.template.id] = max(t.template.width / cw, t.template.height / ch)
    return short


def _background(value: str) -> Literal["blur"] | Rgb:
    if value == "blur":
        return "blur"
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def _fractions(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float]:
    return (round(box[0] / width, 4), round(box[1] / height, 4),
            round(box[2] / width, 4), round(box[3] / height, 4))


def _public(index: int, target: Target, spec: RenditionSpec, r: Rendition,
            width: int, height: int) -> RenditionPublic:
    return RenditionPublic(
        index=index, template_id=target.template.id, platform=target.platform.id,
        width=r.width, height=r.height, format=r.fmt, bytes=r.size,
        max_bytes=spec.max_bytes or 0, within_limit=r.within_limit, quality=r.quality,
        subsampling=r.subsampling, crop=_fractions(r.crop, width, height),
        subject_in_safe_zone=r.subject_in_safe_zone, warnings=list(r.warnings),
    )


def _parameters(call: OptimizeCall, r: Rendition) -> dict[str, Any]:
    request = call.request
    return {
        "fit": request.fit, "background": request.background,
        "strategy": "focal" if call.focal else request.strategy,
        "focal": [call.focal.x, call.focal.y] if call.focal else None,
        "format": r.fmt, "quality": r.quality, "subsampling": r.subsampling,
        "bytes": r.size,
    }
