"""The transform request and result (image → clip), shared by the API, CLI and studio."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field, computed_field

from imagestudio.validation import StorableInput
from imagestudio.video.motion import Ease, Preset

NOT_AI_LABEL = "motion preset rendered from your image; no AI model was used"


class TransformRequest(StorableInput):
    """Turn a still into a clip for a video target (or, with a vendor model that can, a
    prompt alone). ``image`` and ``audio`` are the files' bytes; in JSON (job rows,
    idempotency) they appear only as their SHA-256."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    image: bytes | None = Field(default=None, exclude=True, repr=False, min_length=1)
    audio: bytes | None = Field(default=None, exclude=True, repr=False)
    source_asset_id: str | None = Field(default=None, max_length=32)
    preset: Preset = "zoom-in"
    ease: Ease | None = Field(default=None, description="Default: the preset's own.")
    focal_x: float = Field(default=0.5, ge=0, le=1)
    focal_y: float = Field(default=0.5, ge=0, le=1)
    duration: float = Field(default=6.0, gt=0, le=60, description="Seconds.")
    target: str = Field(default="instagram_reel", min_length=1, max_length=50)
    fps: int | None = Field(default=None, ge=1, le=120)
    headline: str | None = Field(default=None, max_length=200)
    cta: str | None = Field(default=None, max_length=80)
    fade_in: float = Field(default=0.0, ge=0, le=5)
    fade_out: float = Field(default=0.0, ge=0, le=5)
    model: str = Field(default="local/motion-presets", max_length=100)
    prompt: str | None = Field(default=None, max_length=2000,
                               description="What should happen (vendor models only).")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def image_sha256(self) -> str | None:
        return hashlib.sha256(self.image).hexdigest() if self.image else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def audio_sha256(self) -> str | None:
        return hashlib.sha256(self.audio).hexdigest() if self.audio else None


class VideoPublic(BaseModel):
    width: int
    height: int
    fps: int
    frame_count: int
    duration_s: float
    codec: str
    size_bytes: int
    has_audio: bool


class TransformResult(BaseModel):
    """What a transform made. ``ai_generated`` is False (and ``label`` says so) for local
    presets; ``video`` is None when it failed (``error`` says why; nothing is charged)."""

    success: bool
    model: str
    provider: str
    target: str
    preset: str
    ai_generated: bool
    label: str
    cost_micros: int
    warnings: list[str]
    video: VideoPublic | None = None
    error: str | None = None
