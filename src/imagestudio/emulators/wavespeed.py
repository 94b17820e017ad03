"""Emulator of WaveSpeed AI v3 (https://wavespeed.ai/docs), output files included.

Checks ``Authorization: Bearer <key>`` (401 envelope otherwise), the model path, and the
bare JSON body against a strict ``extra="forbid"`` model per model (§2.5; 400 envelope on a
wrong name, type or enum). Jobs answer ``processing`` for ``polls_before_done`` polls, then
``completed`` with output URLs served by this same emulator under ``/media/`` (no auth, as
on the CDN). Both poll paths of §2.3 are served. Knobs beyond the shared ones:
``jobs_fail``, ``jobs_never_finish``, ``sync_mode_times_out`` (the next sync-mode submit)
and ``sync_timeout_rate`` (a random fraction of them: a busy vendor whose sync window runs
out, so the caller polls); ``reject_content`` marks the next job's output NSFW
(``has_nsfw_contents: [true]``).
"""

from __future__ import annotations

import base64
import io
import random
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator

from imagestudio.emulators._base import (
    GARBAGE_JSON,
    MEDIA_TYPES,
    Emulator,
    InvalidBody,
    derived_seed,
    json_response,
    render_image,
    truncate,
    validate_json,
)
from imagestudio.emulators._wavespeed_edits import EDIT_INPUTS, EditInput

# Ideogram 3.0 output pixels per aspect ratio (~1 MP; Ideogram's own resolution table).
IDEOGRAM_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1312, 736),
    "9:16": (736, 1312),
    "4:3": (1152, 864),
    "3:4": (864, 1152),
}
IDEOGRAM = "ideogram-ai/ideogram-v3-turbo"
QWEN = "wavespeed-ai/qwen-image/text-to-image"
_POLL = re.compile(r"^/api/v3/predictions/([^/]+)(/result)?$")
_SYNC_TIMEOUT = (
    "Sync mode timed out after 90 seconds. The prediction is still processing asynchronously."
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1)
    enable_base64_output: bool = False
    enable_sync_mode: bool = False
    enable_safety_checker: bool = True  # API name unconfirmed (§2.5): accepted, ignored


class IdeogramInput(_Input):
    image: str | None = None
    mask_image: str | None = None
    style: Literal["Auto", "General", "Realistic", "Design"] = "Auto"
    aspect_ratio: Literal["1:1", "16:9", "9:16", "4:3", "3:4"] = "1:1"
    reference_images: list[str] = Field(default_factory=list, max_length=3)

    def pixels(self) -> tuple[int, int]:
        return IDEOGRAM_SIZES[self.aspect_ratio]

    def image_format(self) -> str:
        return "png"


class QwenInput(_Input):
    size: str = "1024*1024"
    seed: int = Field(default=-1, ge=-1, le=2147483647)
    output_format: Literal["jpeg", "png", "webp"] = "jpeg"

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        width, sep, height = value.partition("*")
        if not (sep and width.isdigit() and height.isdigit()):
            raise ValueError('must be "W*H"')
        if not all(256 <= int(side) <= 1536 for side in (width, height)):
            raise ValueError("each side must be 256..1536")
        return value

    def pixels(self) -> tuple[int, int]:
        width, _, height = self.size.partition("*")
        return int(width), int(height)

    def image_format(self) -> str:
        return self.output_format


UPSCALER = "wavespeed-ai/image-upscaler"
_LONG_SIDES = {"2k": 2048, "4k": 4096, "8k": 8192}


class UpscalerInput(BaseModel):
    """``wavespeed-ai/image-upscaler`` (https://wavespeed.ai/docs); no prompt."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field(min_length=1)
    target_resolution: Literal["2k", "4k", "8k"] = "4k"
    output_format: Literal["jpeg", "png", "webp"] = "jpeg"
    enable_base64_output: bool = False
    enable_sync_mode: bool = False

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "data:image/")):
            raise ValueError("must be an image URL or a data: URI")
        return value

    @property
    def prompt(self) -> str:  # what the placeholder renderer draws
        return f"upscaled to {self.target_resolution}"

    def pixels(self) -> tuple[int, int]:
        """The long side of the target resolution, the input's aspect kept (1:1 for a
        URL input, which the emulator does not fetch)."""
        width, height = 1, 1
        if self.image.startswith("data:"):
            try:
                data = base64.b64decode(self.image.partition(",")[2])
                with Image.open(io.BytesIO(data)) as im:
                    width, height = im.size
            except (OSError, ValueError):
                pass  # an unreadable input: the placeholder comes out square
        side = _LONG_SIDES[self.target_resolution]
        scale = side / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))

    def image_format(self) -> str:
        return self.output_format


_INPUTS: dict[str, type[IdeogramInput] | type[QwenInput] | type[UpscalerInput]
              | type[EditInput]] = {
    IDEOGRAM: IdeogramInput,
    QWEN: QwenInput,
    UPSCALER: UpscalerInput,
    **EDIT_INPUTS,
}


@dataclass
class Job:
    id: str
    model: str
    outputs: list[str]
    nsfw: list[bool]
    base_url: str
    fail: str | None = None
    never_finish: bool = False
    polls: int = 0
    status: str = "created"


class WaveSpeedEmulator(Emulator):
    """WaveSpeed v3 submit/poll plus output hosting; ``jobs`` and ``files`` hold the state."""

    name: ClassVar[str] = "wavespeed"

    def __init__(
        self,
        api_key: str | None = "test-key",
        *,
        latency_s: float = 0.0,
        polls_before_done: int = 1,
        sync_mode_models: frozenset[str] = frozenset({QWEN}),
        output_base_url: str | None = None,
        sync_timeout_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(api_key, latency_s=latency_s)
        self.polls_before_done = polls_before_done
        self.sync_timeout_rate = sync_timeout_rate
        self._sync_rng = random.Random(seed)
        self.sync_mode_models = sync_mode_models
        self.output_base_url = output_base_url
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self._fail_jobs: str | None = None
        self._never_finish = False

    def jobs_fail(self, error: str = "Emulated inference failure") -> None:
        """Every job from now on ends ``failed`` with ``error`` (HTTP 200, code 200)."""
        self._fail_jobs = error

    def jobs_never_finish(self) -> None:
        """Every job from now on stays ``processing``."""
        self._never_finish = True

    def sync_mode_times_out(self, times: int = 1) -> None:
        """The next sync-mode submit answers the code-5004 "still processing" envelope (§2.4)."""
        self.arm("sync_timeout", times)

    def error_body(self, status: int, message: str) -> Any:
        return {"code": status, "message": message}

    def _sync_window_ran_out(self) -> bool:
        return self.sync_timeout_rate > 0 and self._sync_rng.random() < self.sync_timeout_rate

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.startswith("/media/"):
            return self._file(path)
        if not self.bearer_ok(request):
            return self.error_response(401, "Unauthorized: invalid or missing API key")
        poll = _POLL.match(path)
        if request.method == "GET" and poll:
            return self._poll(poll.group(1))
        if request.method == "POST" and path.startswith("/api/v3/"):
            return self._submit(request, path.removeprefix("/api/v3/"))
        return self.error_response(404, f"{request.method} {path}: not found")

    def _submit(self, request: httpx.Request, model: str) -> httpx.Response:
        schema = _INPUTS.get(model)
        if schema is None:
            return self.error_response(404, f"model {model} not found")
        try:
            body = validate_json(request, schema)
        except InvalidBody as exc:
            return self.error_response(400, "; ".join(exc.messages))
        if body.enable_sync_mode and model not in self.sync_mode_models:
            return self.error_response(400, f"enable_sync_mode: not supported by {model}")
        job = self._create(request, model, body)
        if self.take("malformed"):
            return httpx.Response(
                200, content=GARBAGE_JSON, headers={"content-type": "application/json"}
            )
        if not body.enable_sync_mode:
            return self._envelope(job)
        if job.never_finish or self.take("sync_timeout") or self._sync_window_ran_out():
            job.status = "processing"
            data = self._data(job) | {"code": 5004, "error": _SYNC_TIMEOUT}
            return json_response(200, {"data": data})  # §2.4: no top-level code
        job.status = "failed" if job.fail else "completed"
        return self._envelope(job)

    def _create(
        self, request: httpx.Request, model: str,
        body: IdeogramInput | QwenInput | UpscalerInput | EditInput,
    ) -> Job:
        job_id = "pred_" + self.next_id(24)
        seed = body.seed if isinstance(body, QwenInput | EditInput) and (
            body.seed is not None and body.seed >= 0) else None
        seed = derived_seed(body.prompt) if seed is None else seed
        width, height = body.pixels()
        fmt = body.image_format()
        base = self.output_base_url or f"{request.url.scheme}://{request.url.netloc.decode()}"
        media_path = f"/media/{job_id}/0.{'jpg' if fmt == 'jpeg' else fmt}"
        self.files[media_path] = (
            render_image(body.prompt, seed, width, height, fmt),
            MEDIA_TYPES[fmt],
        )
        job = Job(
            job_id,
            model,
            [base + media_path],
            [self.take("reject")],
            base_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
            fail=self._fail_jobs,
            never_finish=self._never_finish,
        )
        self.jobs[job_id] = job
        return job

    def _poll(self, job_id: str) -> httpx.Response:
        job = self.jobs.get(job_id)
        if job is None:
            return self.error_response(404, f"prediction {job_id} not found")
        job.polls += 1
        if job.status not in ("completed", "failed"):
            if job.fail:
                job.status = "failed"
            elif job.never_finish or job.polls <= self.polls_before_done:
                job.status = "processing"
            else:
                job.status = "completed"
        if self.take("malformed"):
            return httpx.Response(
                200, content=GARBAGE_JSON, headers={"content-type": "application/json"}
            )
        return self._envelope(job)

    def _file(self, path: str) -> httpx.Response:
        found = self.files.get(path)
        if found is None:
            return httpx.Response(404, text="Not Found")
        data, media_type = found
        if self.take("truncate"):
            data = truncate(data)
        return httpx.Response(200, content=data, headers={"content-type": media_type})

    def _envelope(self, job: Job) -> httpx.Response:
        return json_response(200, {"code": 200, "message": "success", "data": self._data(job)})

    def _data(self, job: Job) -> dict[str, Any]:
        done = job.status == "completed"
        return {
            "id": job.id,
            "model": job.model,
            "outputs": job.outputs if done else [],
            "urls": {"get": f"{job.base_url}/api/v3/predictions/{job.id}/result"},
            "has_nsfw_contents": job.nsfw if done else [],
            "status": job.status,
            "created_at": "2026-01-01T12:00:00.000Z",
            "error": (job.fail or "") if job.status == "failed" else "",
            "timings": {"inference": 1200 if done else 0},
        }
