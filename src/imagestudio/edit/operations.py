"""The edit operations as data (``edit/data/edit_operations.yaml``): per engine, which
operation, what it takes (mask, prompt, references, input limits) and its price."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from imagestudio.errors import InvalidRequest

OPERATIONS_FILE = Path(__file__).parent / "data" / "edit_operations.yaml"

OpName = Literal[
    "crop", "rotate", "flip", "resize", "adjust", "sharpen", "blur", "background",
    "erase", "inpaint", "outpaint", "search-and-replace", "search-and-recolor",
    "remove-background", "replace-background-and-relight", "instruct",
]
LOCAL_OPS: frozenset[str] = frozenset(
    {"crop", "rotate", "flip", "resize", "adjust", "sharpen", "blur", "background"}
)
Need = Literal["none", "optional", "required"]


class InputLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_side: int = Field(default=1, ge=1)
    max_side: int = Field(default=16384, ge=1)
    min_pixels: int = Field(default=1, ge=1)
    max_pixels: int = Field(default=40_000_000, ge=1)
    min_aspect: float | None = None
    max_aspect: float | None = None

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
            raise InvalidRequest(
                f"{self.id} takes images with {problem}; this one is {width}x{height}",
                field="image", details={"operation": self.id, **self.input.model_dump()},
            )


def load_operations(path: Path = OPERATIONS_FILE) -> dict[str, EditOperation]:
    entries = [EditOperation.model_validate(e) for e in yaml.safe_load(path.read_text("utf-8"))]
    found = {e.id: e for e in entries}
    if len(found) != len(entries):
        raise ValueError(f"{path.name}: duplicate operation ids")
    return found
