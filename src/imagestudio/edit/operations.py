"""The edit operations as data (``edit/data/edit_operations.yaml``): per engine, which
operation, what it takes (mask, prompt, references, input limits) and its price.

Fitting an image into an engine's limits (:meth:`EditOperation.fitting`): only ever
down, keeping the aspect ratio, and only where that costs the result nothing (``fit``):

- ``resize``: the vendor answers at its own size whatever it is sent (instruction edits,
  inpaint, outpaint, search-and-replace, relight), so a larger input could not give a
  larger result;
- ``alpha``: background removal: the vendor's alpha is scaled back to the original size
  and put on the original's own pixels;
- ``mask``: a masked edit that keeps the size (erase): the vendor's answer, scaled back,
  is used only inside the mask (grown as the vendor grows it); every pixel outside is
  the original's. Without a mask such an image is refused;
- ``refuse``: the operation keeps the image's size and would hand back an enlarged copy
  of a reduced one (search-and-recolor): the image is refused, naming the limit.

An image too small, or of an aspect ratio outside the limits, is refused (growing or
reshaping it would invent pixels or change the picture).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from imagestudio.datafiles import read_yaml
from imagestudio.errors import InvalidRequest

OPERATIONS_FILE = Path(__file__).parent / "data" / "edit_operations.yaml"

OpName = Literal[
    "crop", "rotate", "flip", "resize", "adjust", "sharpen", "blur", "background",
    "erase", "inpaint", "outpaint", "search-and-replace", "search-and-recolor",
    "remove-background", "replace-background-and-relight", "instruct",
    "sketch", "structure", "style",
]
LOCAL_OPS: frozenset[str] = frozenset(
    {"crop", "rotate", "flip", "resize", "adjust", "sharpen", "blur", "background"}
)
Need = Literal["none", "optional", "required"]
Fit = Literal["resize", "alpha", "mask", "refuse"]


class InputLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_side: int = Field(default=1, ge=1)
    max_side: int = Field(default=16384, ge=1)
    min_pixels: int = Field(default=1, ge=1)
    max_pixels: int = Field(default=40_000_000, ge=1)
    min_aspect: float | None = None
    max_aspect: float | None = None
    max_bytes: int | None = Field(default=None, ge=1, description="Of the file sent.")
    max_total_bytes: int | None = Field(
        default=None, ge=1, description="Of the image and its references together.")

    def shrunk(self, width: int, height: int, nbytes: int) -> tuple[int, int]:
        """The largest ``width × height`` scaled by one factor ≤ 1 under the maxima (the
        bytes estimated in proportion to the pixels)."""
        scale = min(1.0, self.max_side / max(width, height),
                    math.sqrt(self.max_pixels / (width * height)))
        if self.max_bytes is not None and nbytes > self.max_bytes:
            # a resized image is sent as PNG: assume its bytes follow its pixels, with room
            scale = min(scale, math.sqrt(0.8 * self.max_bytes / nbytes))
        new_w, new_h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
        while new_w * new_h > self.max_pixels:
            new_w, new_h = new_w - 1, max(1, round((new_w - 1) * height / width))
        return new_w, new_h

    def problem(self, width: int, height: int) -> str | None:
        """Why a ``width × height`` image is outside these limits (None: inside)."""
        if not (self.min_side <= min(width, height) and max(width, height) <= self.max_side):
            return f"sides between {self.min_side} and {self.max_side} px"
        if not self.min_pixels <= width * height <= self.max_pixels:
            return f"{self.min_pixels} to {self.max_pixels} pixels"
        if self.min_aspect is not None and self.max_aspect is not None and not (
            self.min_aspect <= width / height <= self.max_aspect
        ):
            return f"an aspect ratio between {self.min_aspect} and {self.max_aspect}"
        return None


class EditOperation(BaseModel):
    """One operation of one engine (``provider`` ``local`` is the studio's own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    op: OpName
    provider: str
    model: str | None = None
    label: str
    mask: Need
    prompt: Need
    references: int = Field(default=0, ge=0)
    keeps_size: bool
    input: InputLimits = InputLimits()
    fit: Fit = "refuse"
    reads: list[str] | None = Field(
        default=None, description="The request fields this engine reads (default: the "
                                  "operation's); any other given is a warning.")
    price_micros: int = Field(ge=0)
    source: str = "the studio's own"
    verified_on: dt.date | None = None

    @property
    def model_id(self) -> str:
        """The model recorded on the job and the asset."""
        return self.model or f"edit/{self.id}"

    def check(self, width: int, height: int) -> None:
        """InvalidRequest naming ``image`` when the image is outside the limits."""
        problem = self.input.problem(width, height)
        if problem:
            raise self._refused(f"takes images with {problem}", width, height)

    def fitting(self, width: int, height: int, nbytes: int, *,
                has_mask: bool = False) -> tuple[int, int] | None:
        """The size to send a ``width × height`` image of ``nbytes`` at (None: as it
        is), or InvalidRequest naming ``image`` when it cannot be fitted (module doc)."""
        limits = self.input
        over_bytes = limits.max_bytes is not None and nbytes > limits.max_bytes
        if limits.problem(width, height) is None and not over_bytes:
            return None
        if min(width, height) < limits.min_side or width * height < limits.min_pixels:
            raise self._refused(f"takes images with sides of at least {limits.min_side} px "
                                f"and {limits.min_pixels} pixels (enlarge it first)",
                                width, height)
        if limits.min_aspect is not None and limits.max_aspect is not None and not (
            limits.min_aspect <= width / height <= limits.max_aspect
        ):
            raise self._refused(f"takes aspect ratios between {limits.min_aspect} and "
                                f"{limits.max_aspect} (crop or outpaint it first)",
                                width, height)
        most = (f"at most {limits.max_pixels} pixels and {limits.max_side} px a side"
                + (f" in {limits.max_bytes} bytes" if limits.max_bytes else ""))
        if self.fit == "mask" and not has_mask:
            raise self._refused(f"takes {most}; a larger image is fitted only with a mask "
                                "(the answer is put back inside it), so give one or resize "
                                "the image first", width, height)
        if self.fit == "refuse":
            raise self._refused(f"takes {most}, and {self.op} keeps the image's size, so "
                                "a reduced copy would come back enlarged (resize it to fit "
                                "first)", width, height)
        size = limits.shrunk(width, height, nbytes)
        if limits.problem(*size) is not None:
            raise self._refused(f"takes {most}; this image cannot be reduced to fit",
                                width, height)
        return size

    def check_references(self, sizes: list[tuple[int, int, int]], source_bytes: int) -> None:
        """InvalidRequest naming ``references`` when more are given than this engine
        takes, or one (``(width, height, bytes)``) is outside its limits: references
        are sent as they are, never fitted."""
        if len(sizes) > self.references:
            most = f"at most {self.references}" if self.references else "no"
            raise InvalidRequest(f"{self.id} takes {most} reference images; {len(sizes)} "
                                 "given", field="references",
                                 details={"operation": self.id, "references": self.references})
        limits = self.input
        for index, (width, height, nbytes) in enumerate(sizes, start=1):
            problem = limits.problem(width, height)
            if problem is None and limits.max_bytes is not None and nbytes > limits.max_bytes:
                problem = f"at most {limits.max_bytes} bytes"
            if problem is not None:
                raise InvalidRequest(f"reference {index} ({width}x{height}, {nbytes} bytes): "
                                     f"{self.id} takes images with {problem}",
                                     field="references", details={"operation": self.id})
        total = source_bytes + sum(n for _, _, n in sizes)
        if sizes and limits.max_total_bytes is not None and total > limits.max_total_bytes:
            raise InvalidRequest(f"{self.id} takes at most {limits.max_total_bytes} bytes of "
                                 f"images per request; the image and its references are "
                                 f"{total}", field="references", details={"operation": self.id})

    def _refused(self, why: str, width: int, height: int) -> InvalidRequest:
        return InvalidRequest(f"{self.id} {why}; this one is {width}x{height}", field="image",
                              details={"operation": self.id, **self.input.model_dump()})


def load_operations(path: Path = OPERATIONS_FILE) -> dict[str, EditOperation]:
    entries = [EditOperation.model_validate(e) for e in read_yaml(path)]
    found = {e.id: e for e in entries}
    if len(found) != len(entries):
        raise ValueError(f"{path.name}: duplicate operation ids")
    return found
