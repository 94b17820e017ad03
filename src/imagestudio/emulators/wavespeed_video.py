"""WaveSpeed video models on the v3 submit/poll contract (https://wavespeed.ai/docs): the
WaveSpeed emulator plus per-model schemas for WAN 2.5/2.6 image-to-video, WAN 2.6
text-to-video, WAN 2.2 i2v, Kling v2.1 and Seedance v1 image-to-video.

Fields are checked against each model's table (prompt and, but for text-to-video, image
required; ``resolution``, ``size`` and ``duration`` enums or ranges; ``seed``
-1..2147483647; images as URLs or ``data:`` URIs).
Undeclared fields are dropped silently, as WaveSpeed does (kept in ``dropped``). Jobs
walk ``created`` → ``processing`` × ``polls_before_done`` → ``completed`` with an MP4 URL
on the media host, or ``failed`` (HTTP 200, ``data.error``); ``reject_content`` flags the
output NSFW; :meth:`expire_outputs` makes output URLs 404.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from imagestudio.emulators._base import describe, json_response
from imagestudio.emulators.veo import sample_mp4
from imagestudio.emulators.wavespeed import Job, WaveSpeedEmulator


def _image_ref(value: str) -> str:
    if not value.startswith(("https://", "http://", "data:image/")):
        raise ValueError("must be an image URL or a data: URI")
    return value


class _VideoInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1)


class _Seeded(_VideoInput):
    seed: int = Field(default=-1, ge=-1, le=2147483647)


class _WanInput(_Seeded):
    image: str = Field(min_length=1)
    negative_prompt: str | None = None
    audio: str | None = None
    enable_prompt_expansion: bool = False

    _image = field_validator("image")(_image_ref)


class Wan25Input(_WanInput):
    resolution: Literal["480p", "720p", "1080p"] = "720p"
    duration: Literal[5, 10] = 5


class Wan26Input(_WanInput):
    resolution: Literal["720p", "1080p"] = "720p"
    duration: Literal[5, 10, 15] = 5
    shot_type: Literal["single", "multi"] = "single"


class Wan26TextInput(_Seeded):
    """Text to video: no image; the size as ``W*H`` instead of a resolution."""

    size: Literal["1280*720", "720*1280", "1920*1080", "1080*1920"] = "1280*720"
    duration: Literal[5, 10, 15] = 5
    negative_prompt: str | None = None
    audio: str | None = None
    shot_type: Literal["single", "multi"] = "single"
    enable_prompt_expansion: bool = False


class Wan22Input(_Seeded):
    """WAN 2.2 (resolution in the model id): no resolution or audio field."""

    image: str = Field(min_length=1)
    negative_prompt: str | None = None
    last_image: str | None = None
    duration: Literal[5, 8] = 5

    _image = field_validator("image")(_image_ref)


class KlingInput(_VideoInput):
    """Kling v2.1 standard: prompt ≤ 2500, duration 5..10, guidance_scale 0..1 (no seed
    field: one sent is dropped)."""

    prompt: str = Field(min_length=1, max_length=2500)
    image: str = Field(min_length=1)
    negative_prompt: str | None = Field(default=None, max_length=2500)
    duration: int = Field(default=5, ge=5, le=10)
    guidance_scale: float = Field(default=0.5, ge=0, le=1)

    _image = field_validator("image")(_image_ref)


class SeedanceInput(_Seeded):
    """Seedance v1 (resolution in the model id): prompt ≤ 2000, duration 5 or 10."""

    prompt: str = Field(min_length=1, max_length=2000)
    image: str = Field(min_length=1)
    duration: Literal[5, 10] = 5

    _image = field_validator("image")(_image_ref)


WAN_MODELS: dict[str, type[_VideoInput]] = {
    "alibaba/wan-2.5/image-to-video": Wan25Input,
    "alibaba/wan-2.5/image-to-video-fast": Wan25Input,
    "alibaba/wan-2.6/image-to-video": Wan26Input,
    "alibaba/wan-2.6/text-to-video": Wan26TextInput,
    "wavespeed-ai/wan-2.2/i2v-480p": Wan22Input,
    "wavespeed-ai/wan-2.2/i2v-720p": Wan22Input,
    "kwaivgi/kling-v2.1-i2v-standard": KlingInput,
    **{f"bytedance/seedance-v1-{tier}-i2v-{res}": SeedanceInput
       for tier in ("pro", "lite") for res in ("480p", "720p", "1080p")},
}


class WanVideoEmulator(WaveSpeedEmulator):
    name: ClassVar[str] = "wavespeed"

    def __init__(self, api_key: str | None = "test-key", *, polls_before_done: int = 2,
                 **kw: Any) -> None:
        super().__init__(api_key, polls_before_done=polls_before_done, **kw)
        self.dropped: list[str] = []

    def expire_outputs(self) -> None:
        self.files.clear()

    def submissions(self) -> list[httpx.Request]:
        return [r for r in self.calls if r.method == "POST"
                and r.url.path.removeprefix("/api/v3/") in WAN_MODELS]

    def _submit(self, request: httpx.Request, model: str) -> httpx.Response:
        schema = WAN_MODELS.get(model)
        if schema is None:
            return super()._submit(request, model)
        try:
            raw = json.loads(request.read() or b"null")
            if not isinstance(raw, dict):
                raise ValueError("body must be a JSON object")
            schema.model_validate(raw)
        except ValueError as exc:
            lines = describe(exc) if isinstance(exc, ValidationError) else ["invalid JSON"]
            return self.error_response(400, "; ".join(lines))
        self.dropped.extend(sorted(set(raw) - set(schema.model_fields)))
        job_id = "pred_" + self.next_id(24)
        origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
        media = f"/media/{job_id}/0.mp4"
        self.files[media] = (sample_mp4(), "video/mp4")
        job = Job(job_id, model, [(self.output_base_url or origin) + media],
                  [self.take("reject")], base_url=origin, fail=self._fail_jobs,
                  never_finish=self._never_finish)
        self.jobs[job_id] = job
        return json_response(200, {"code": 200, "message": "success", "data": self._data(job)})
