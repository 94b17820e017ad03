"""Renditions: one source image cut to many exact-pixel targets, each under a byte limit.

The engine-independent half: what a target asks for (:class:`RenditionSpec`), where its
crop sits (:func:`place_crop`), how a byte limit is met (:func:`meet_budget`) and the
driver that renders a set (:func:`render_set`) through a :class:`RenditionEngine`
(:mod:`imagestudio.imaging.vips`, fast; :mod:`imagestudio.imaging.pillow_renditions`,
the fallback). Both engines get the same crop boxes and the same quality search, so
they differ only in resampling and encoder details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from imagestudio.imaging.focus import CENTRE, Focus, Strategy
from imagestudio.imaging.formats import OutputFormat

if TYPE_CHECKING:
    import numpy as np

Fit = Literal["crop", "pad"]
Subsampling = Literal["4:4:4", "4:2:0"]
Box = tuple[float, float, float, float]
Rgb = tuple[int, int, int]
SALIENCY_SIDE = 192  # the analysis thumbnail's long side: a few ms, stable boxes
# A "subject" box this large (fraction of the image) means no distinct subject (a
# texture, a landscape): crops still centre on the focus, but no safe-zone verdict.
DIFFUSE_SUBJECT = 0.6


@dataclass(frozen=True)
class Encoding:
    """One encoder setting: lossy ``quality`` (ignored for PNG), JPEG chroma, and JPEG
    Huffman-table optimisation (about 8 % smaller, 20 % slower: used once a file is over
    its byte limit, before any quality is given up)."""

    fmt: OutputFormat
    quality: int
    subsampling: Subsampling = "4:2:0"
    optimize: bool = False


@dataclass(frozen=True)
class RenditionSpec:
    """One target: exact ``width × height`` in ``fmt``.

    ``fit`` ``crop`` covers the target (crop placed by the focus), ``pad`` contains the
    whole source on a ``background`` (``"blur"``: a blurred cover of the image itself, or
    an RGB colour). ``safe_zone`` is ``(top, bottom, left, right)`` fractions the platform
    may cover. ``max_bytes`` is met by lowering quality down to ``quality_floor``, then
    chroma resolution; ``metadata`` (None: strip everything) is embedded in the file.
    """

    key: str
    width: int
    height: int
    fmt: OutputFormat
    fit: Fit = "crop"
    background: Literal["blur"] | Rgb = "blur"
    quality: int = 85
    quality_floor: int = 60
    subsampling: Subsampling = "4:2:0"
    max_bytes: int | None = None
    safe_zone: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    metadata: Mapping[str, Any] | None = None
    fallback_fmt: OutputFormat | None = None

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"{self.key}: size must be positive, got {self.width}x{self.height}")
        if not 1 <= self.quality_floor <= self.quality <= 100:
            raise ValueError(f"{self.key}: quality must lie in quality_floor..100")


@dataclass(frozen=True)
class Rendition:
    """What one target became: its file, the encoding that met its limit, and warnings."""

    key: str
    data: bytes
    fmt: OutputFormat
    width: int
    height: int
    quality: int | None
    subsampling: Subsampling | None
    crop: Box
    within_limit: bool
    subject_in_safe_zone: bool | None
    warnings: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.data)


class Source(Protocol):
    """A decoded source held by an engine (RGB or RGBA, orientation applied, sRGB)."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def has_alpha(self) -> bool: ...


class RenditionEngine(Protocol):
    """Decode once, then resample and encode many targets. Thread-safe."""

    name: ClassVar[str]

    def load(self, data: bytes, *, max_pixels: int) -> Source:
        """Decode untrusted bytes fully (as ``ImageEngine.decode``; same errors)."""
        ...

    def thumbnail(self, source: Source, long_side: int) -> np.ndarray:
        """An RGB ``uint8`` array of ``source`` at ``long_side`` (for analysis)."""
        ...

    def resample(self, source: Source, spec: RenditionSpec, crop: Box, inner: Box | None) -> Any:
        """``source``'s ``crop`` at exactly the spec's size (``crop`` mode), or the whole
        source placed at ``inner`` (target pixels) on the spec's background (``pad``)."""
        ...

    def encode(self, pixels: Any, encoding: Encoding, metadata: Mapping[str, Any] | None) -> bytes:
        """``pixels`` (what :meth:`resample` gave) encoded; no metadata but ``metadata``."""
        ...

    def upscale(self, source: Source, width: int, height: int, *, sharpen: bool) -> Any:
        """The whole ``source`` resampled (Lanczos3) to ``width × height``, optionally
        sharpened; encode it with :meth:`encode`."""
        ...

    def enlarged(self, source: Source, width: int, height: int) -> Source:
        """``source`` upscaled (Lanczos3 + sharpen) to ``width × height``, as a source."""
        ...


@dataclass(frozen=True)
class Placement:
    crop: Box
    inner: Box | None
    subject_in_safe_zone: bool | None
    warnings: tuple[str, ...] = ()


@dataclass
class RenderOptions:
    """How a set is rendered: ``focal`` (x, y in 0..1) overrides the saliency analysis."""

    strategy: Strategy = "attention"
    focal: tuple[float, float] | None = None


def cover_size(src_w: int, src_h: int, width: int, height: int) -> tuple[float, float]:
    """The largest ``width:height`` region of a ``src_w × src_h`` image."""
    if src_w * height > src_h * width:
        return src_h * width / height, float(src_h)
    return float(src_w), src_w * height / width


def _axis(
    length: int, window: float, centre: float, subject: tuple[float, float],
    margins: tuple[float, float],
) -> tuple[float, bool]:
    """Start of a ``window`` along an axis of ``length``: around ``centre``, moved as
    little as needed to put ``subject`` inside the window's safe band (``margins``);
    also whether it fits there."""
    start = min(max(centre - window / 2, 0.0), length - window)
    lo_margin, hi_margin = margins[0] * window, margins[1] * window
    lowest = subject[1] - window + hi_margin  # start must be >= this ...
    highest = subject[0] - lo_margin  # ... and <= this for the subject to fit
    lowest, highest = max(lowest, 0.0), min(highest, length - window)
    if lowest <= highest:
        return min(max(start, lowest), highest), True
    return start, False


def place_crop(
    spec: RenditionSpec, src_w: int, src_h: int, focus: Focus, *, user_focal: bool
) -> Placement:
    """Where the target's crop (or padded image) goes, and whether the subject then
    lies inside the target's safe zone (with a warning when not; None when the image
    has no distinct subject)."""
    placed = _place(spec, src_w, src_h, focus, user_focal=user_focal)
    x0, y0, x1, y1 = focus.box
    if not user_focal and (x1 - x0) * (y1 - y0) >= DIFFUSE_SUBJECT:
        return Placement(placed.crop, placed.inner, None)
    return placed


def _place(
    spec: RenditionSpec, src_w: int, src_h: int, focus: Focus, *, user_focal: bool
) -> Placement:
    top, bottom, left, right = spec.safe_zone
    sx0, sy0, sx1, sy1 = (focus.box[0] * src_w, focus.box[1] * src_h,
                          focus.box[2] * src_w, focus.box[3] * src_h)
    if spec.fit == "pad":
        scale = min(spec.width / src_w, spec.height / src_h)
        iw, ih = src_w * scale, src_h * scale
        ox, oy = (spec.width - iw) / 2, (spec.height - ih) / 2
        inner = (ox, oy, ox + iw, oy + ih)
        box = (ox + sx0 * scale, oy + sy0 * scale, ox + sx1 * scale, oy + sy1 * scale)
        ok = _inside(box, spec.width, spec.height, spec.safe_zone)
        return Placement((0.0, 0.0, float(src_w), float(src_h)), inner, ok, _warn(spec, ok))
    cw, ch = cover_size(src_w, src_h, spec.width, spec.height)
    cx, cy = focus.x * src_w, focus.y * src_h
    if user_focal:  # the user's point is the centre, moved only by the image's edges
        x0, _ = _axis(src_w, cw, cx, (cx, cx), (0.0, 0.0))
        y0, _ = _axis(src_h, ch, cy, (cy, cy), (0.0, 0.0))
    else:
        x0, _ = _axis(src_w, cw, cx, (sx0, sx1), (left, right))
        y0, _ = _axis(src_h, ch, cy, (sy0, sy1), (top, bottom))
    crop = (x0, y0, x0 + cw, y0 + ch)
    sx, sy = spec.width / cw, spec.height / ch
    box = ((sx0 - x0) * sx, (sy0 - y0) * sy, (sx1 - x0) * sx, (sy1 - y0) * sy)
    ok = _inside(box, spec.width, spec.height, spec.safe_zone)
    return Placement(crop, None, ok, _warn(spec, ok))


def _inside(box: Box, width: int, height: int, zone: tuple[float, float, float, float]) -> bool:
    top, bottom, left, right = zone
    tol = 0.5
    return (box[0] >= left * width - tol and box[1] >= top * height - tol
            and box[2] <= width * (1 - right) + tol and box[3] <= height * (1 - bottom) + tol)


def _warn(spec: RenditionSpec, ok: bool) -> tuple[str, ...]:
    if ok:
        return ()
    return (f"{spec.key}: the subject extends outside the safe zone (platform UI may cover it)",)


def meet_budget(
    encode: Callable[[Encoding], bytes], spec: RenditionSpec, fmt: OutputFormat
) -> tuple[bytes, Encoding, bool]:
    """Encode at the spec's quality; over ``max_bytes``, the same with optimised Huffman
    tables (JPEG), then binary-search the highest quality ≥ the floor that fits, then
    (JPEG 4:4:4) the same at 4:2:0. Returns the file, its encoding and whether it fits
    (at the floor when nothing does)."""
    first = Encoding(fmt, spec.quality, spec.subsampling)
    data = encode(first)
    limit = spec.max_bytes
    if limit is None or len(data) <= limit:
        return data, first, True
    if fmt == "png":
        return data, first, False
    tight = fmt == "jpeg"
    if tight:
        first = Encoding(fmt, spec.quality, spec.subsampling, optimize=True)
        data = encode(first)
        if len(data) <= limit:
            return data, first, True
    chromas: list[Subsampling] = [spec.subsampling]
    if fmt == "jpeg" and spec.subsampling == "4:4:4":
        chromas.append("4:2:0")
    best: tuple[bytes, Encoding] | None = None
    floor_data, floor_enc = data, first
    for chroma in chromas:
        top = spec.quality - 1 if chroma == spec.subsampling else spec.quality
        lo, hi = spec.quality_floor, top
        while lo <= hi:
            mid = (lo + hi) // 2
            enc = Encoding(fmt, mid, chroma, optimize=tight)
            candidate = encode(enc)
            if len(candidate) <= limit:
                best, lo = (candidate, enc), mid + 1
            else:
                if mid == spec.quality_floor:
                    floor_data, floor_enc = candidate, enc
                hi = mid - 1
        if best is not None:
            return best[0], best[1], True
    return floor_data, floor_enc, False


def analyse(engine: RenditionEngine, source: Source, options: RenderOptions) -> Focus:
    """The focus every crop is placed around: the user's point, or the saliency's."""
    if options.focal is not None:
        x, y = options.focal
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"focal point must be fractions in [0, 1], got {options.focal!r}")
        return Focus(x, y, (x, y, x, y))
    if options.strategy == "centre":
        return CENTRE
    from imagestudio.imaging.saliency import find_focus  # NumPy on first use (RSS)

    if options.strategy == "faces":
        from imagestudio.imaging.faces import FACES_SIDE, face_focus

        found = face_focus(engine.thumbnail(source, FACES_SIDE))
        if found is not None:
            return found
        return find_focus(engine.thumbnail(source, SALIENCY_SIDE), "attention")
    return find_focus(engine.thumbnail(source, SALIENCY_SIDE), options.strategy)


def render_set(
    engine: RenditionEngine,
    source: Source,
    specs: Sequence[RenditionSpec],
    options: RenderOptions,
    pool: ThreadPoolExecutor | None = None,
) -> list[Rendition]:
    """Every spec rendered from ``source``, in order. Identical resamples (same size,
    crop and fit) are done once; distinct ones run on ``pool`` when given."""
    focus = analyse(engine, source, options)
    placements = [place_crop(s, source.width, source.height, focus,
                             user_focal=options.focal is not None) for s in specs]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (spec, placed) in enumerate(zip(specs, placements, strict=True)):
        key = (spec.width, spec.height, spec.fit, spec.background, _rounded(placed.crop))
        groups.setdefault(key, []).append(i)

    def one_group(indices: list[int]) -> list[tuple[int, Rendition]]:
        first = indices[0]
        pixels = engine.resample(source, specs[first], placements[first].crop,
                                 placements[first].inner)
        encoded: dict[tuple[Any, ...], Rendition] = {}
        out = []
        for i in indices:
            spec = specs[i]
            ekey = (spec.fmt, spec.quality, spec.quality_floor, spec.subsampling, spec.max_bytes,
                    _frozen(spec.metadata), spec.fallback_fmt)
            if ekey not in encoded:
                encoded[ekey] = _encode(engine, pixels, spec, placements[i], source.has_alpha)
            made = encoded[ekey]
            out.append((i, Rendition(**{**made.__dict__, "key": spec.key,
                                        "warnings": _rekey(made.warnings, made.key, spec.key)})))
        return out

    results: list[Rendition | None] = [None] * len(specs)
    batches = list(groups.values())
    done = pool.map(one_group, batches) if pool is not None else map(one_group, batches)
    for part in done:
        for i, rendition in part:
            results[i] = rendition
    return [r for r in results if r is not None]


def _encode(
    engine: RenditionEngine, pixels: Any, spec: RenditionSpec, placed: Placement, alpha: bool
) -> Rendition:
    warnings = list(placed.warnings)

    def encode(enc: Encoding) -> bytes:
        return engine.encode(pixels, enc, spec.metadata)

    data, enc, ok = meet_budget(encode, spec, spec.fmt)
    if not ok and spec.fallback_fmt is not None and spec.fallback_fmt != spec.fmt:
        warnings.append(f"{spec.key}: {spec.fmt} exceeds {spec.max_bytes} bytes; "
                        f"written as {spec.fallback_fmt}" + (" (transparency lost)" if alpha
                                                             and spec.fallback_fmt == "jpeg"
                                                             else ""))
        data, enc, ok = meet_budget(encode, spec, spec.fallback_fmt)
    if not ok:
        warnings.append(f"{spec.key}: {len(data)} bytes at the quality floor "
                        f"{spec.quality_floor}; the limit is {spec.max_bytes}")
    lossy = enc.fmt != "png"
    return Rendition(
        key=spec.key, data=data, fmt=enc.fmt, width=spec.width, height=spec.height,
        quality=enc.quality if lossy else None,
        subsampling=enc.subsampling if enc.fmt == "jpeg" else None,
        crop=placed.crop, within_limit=ok, subject_in_safe_zone=placed.subject_in_safe_zone,
        warnings=tuple(warnings),
    )


def _rekey(warnings: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    if old == new:
        return warnings
    return tuple(w.replace(f"{old}:", f"{new}:", 1) for w in warnings)


def _rounded(box: Box) -> tuple[float, ...]:
    return tuple(round(v, 2) for v in box)


def _frozen(metadata: Mapping[str, Any] | None) -> str | None:
    if metadata is None:
        return None
    return repr(sorted(metadata.items()))
