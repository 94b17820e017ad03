"""Emulator of Stability AI's v2beta generate endpoints (https://platform.stability.ai/docs/api-reference).

Validates like the real service: multipart only (an empty ``none`` file part allowed),
every enum and range of §1.4/§1.5 with ``extra="forbid"`` forms, parameters *before* auth
(bad params + bad key → 400, §1.1), then ``authorization: Bearer <key>`` (401 otherwise).
Answers raw bytes with ``finish-reason``/``seed``/``x-request-id`` headers, or base64 JSON
for ``accept: application/json``. Extra knob: :meth:`StabilityEmulator.filter_content`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imagestudio.emulators import stability_control as control
from imagestudio.emulators import stability_edit as edit
from imagestudio.emulators import stability_upscale as upscale
from imagestudio.emulators._base import (
    GARBAGE_BYTES,
    GARBAGE_JSON,
    MEDIA_TYPES,
    Emulator,
    InvalidBody,
    derived_seed,
    describe,
    json_response,
    render_image,
    truncate,
)
from imagestudio.emulators._multipart import FormProblem, read_form_data

AspectRatio = Literal["21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21"]
StylePreset = Literal[
    "enhance",
    "anime",
    "photographic",
    "digital-art",
    "comic-book",
    "fantasy-art",
    "line-art",
    "analog-film",
    "neon-punk",
    "isometric",
    "low-poly",
    "origami",
    "modeling-compound",
    "cinematic",
    "3d-model",
    "pixel-art",
    "tile-texture",
]
# Output pixels per aspect ratio at ~1 MP (Ultra, SD 3.5). Stability does not publish the
# table; these are the usual 64-px-grid 1 MP sizes (16:9 → 1344×768).
SIZES_1MP: dict[str, tuple[int, int]] = {
    "21:9": (1536, 640),
    "16:9": (1344, 768),
    "3:2": (1216, 832),
    "5:4": (1152, 896),
    "1:1": (1024, 1024),
    "4:5": (896, 1152),
    "2:3": (832, 1216),
    "9:16": (768, 1344),
    "9:21": (640, 1536),
}
# Core is ~1.5 MP (§1.5): the 1 MP table scaled by √1.5 onto the 64-px grid.
SIZES_CORE: dict[str, tuple[int, int]] = {
    ratio: (round(w * 1.5**0.5 / 64) * 64, round(h * 1.5**0.5 / 64) * 64)
    for ratio, (w, h) in SIZES_1MP.items()
}
MAX_BODY_BYTES = 10 * 1024 * 1024
_FILE_FIELDS = {  # generate (img2img), upscale and edit
    "image", "mask", "subject_image", "background_reference", "light_reference",
}
_MODERATION = (
    "Your request was flagged by our content moderation system, as a result your request was "
    "denied and you were not charged."
)


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=10000)
    negative_prompt: str | None = Field(default=None, max_length=10000)
    aspect_ratio: AspectRatio = "1:1"
    seed: int = Field(default=0, ge=0, le=4294967294)
    output_format: Literal["jpeg", "png", "webp"] = "png"
    style_preset: StylePreset | None = None

    def problems(self) -> list[str]:
        return []


class UltraForm(_Form):
    image: bytes | None = None
    strength: float | None = Field(default=None, ge=0, le=1)

    def problems(self) -> list[str]:
        if self.image is not None and self.strength is None:
            return ["strength: is required when image is provided"]
        return []


class CoreForm(_Form):
    pass


class SD3Form(_Form):
    mode: Literal["text-to-image", "image-to-image"] = "text-to-image"
    image: bytes | None = None
    strength: float | None = Field(default=None, ge=0, le=1)
    model: Literal["sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash"] = (
        "sd3.5-large"
    )
    cfg_scale: float | None = Field(default=None, ge=1, le=10)

    def problems(self) -> list[str]:
        if self.mode == "image-to-image":
            missing = [
                f"{f}: is required for image-to-image"
                for f in ("image", "strength")
                if getattr(self, f) is None
            ]
            if "aspect_ratio" in self.model_fields_set:
                missing.append("aspect_ratio: only valid for text-to-image")
            return missing
        return [
            f"{f}: only valid for image-to-image"
            for f in ("image", "strength")
            if getattr(self, f) is not None
        ]


_ENDPOINTS: dict[str, tuple[type[_Form], dict[str, tuple[int, int]]]] = {
    "/v2beta/stable-image/generate/ultra": (UltraForm, SIZES_1MP),
    "/v2beta/stable-image/generate/core": (CoreForm, SIZES_CORE),
    "/v2beta/stable-image/generate/sd3": (SD3Form, SIZES_1MP),
}
_ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    402: "payment_required",
    403: "content_moderation",
    404: "not_found",
    413: "payload_too_large",
    422: "invalid_language",
    429: "rate_limit_exceeded",
    500: "internal_error",
}


class StabilityEmulator(Emulator):
    """Stable Image Ultra/Core/SD3 generate; ``calls`` holds every request."""

    name: ClassVar[str] = "stability"
    messages: ClassVar[dict[int, str]] = {
        401: "authorization: invalid or missing header value",
        403: _MODERATION,
        413: "body: payloads cannot be larger than 10MiB in size",
        429: "You have exceeded the rate limit of 150 requests within a 10 second period, "
        "and have been timed out for 60 seconds.",
        500: "An unexpected server error has occurred, please try again later.",
    }

    def __init__(self, api_key: str | None = "test-key", *, latency_s: float = 0.0) -> None:
        super().__init__(api_key, latency_s=latency_s)
        self._jobs: dict[str, tuple[str, _Form, tuple[int, int], int]] = {}

    def filter_content(self, times: int = 1) -> None:
        """The next image comes back blurred: 200 with ``finish-reason: CONTENT_FILTERED``."""
        self.arm("filtered", times)

    def error_body(self, status: int, message: str) -> Any:
        return {
            "id": self.next_id(),
            "name": _ERROR_NAMES.get(status, "error"),
            "errors": [message],
        }

    creative_polls: int = 2  # 202 answers before an async (creative, relight) result

    def handle(self, request: httpx.Request) -> httpx.Response:
        if upscale.is_upscale(request) and request.method == "POST":
            return self._upscale(request)
        if edit.is_edit(request) and request.method == "POST":
            return self._edit(request)
        if control.is_control(request) and request.method == "POST":
            return self._edit(request, control.validate)
        if request.url.path.startswith(upscale.RESULTS) and request.method == "GET":
            return self._result(request)
        route = _ENDPOINTS.get(request.url.path)
        if route is None or request.method != "POST":
            return self.error_response(404, f"{request.method} {request.url.path}: not found")
        form_cls, sizes = route

        def validate(_: str, fields: dict[str, object]) -> tuple[_Form, tuple[int, int]]:
            form = _generate_form(form_cls, fields)
            return form, sizes[form.aspect_ratio]
        return self._operation(request, validate, lambda form: form)

    def _upscale(self, request: httpx.Request) -> httpx.Response:
        """§1.6 fast and conservative: sync, raw bytes (or JSON), 4x / ~4 MP out;
        creative: async."""
        def job(form: Any) -> _Form:
            prompt = getattr(form, "prompt", "upscale")
            return _Upscaled(prompt=prompt, output_format=form.output_format)
        return self._operation(request, upscale.validate, job, upscale.CREATIVE)

    def _edit(self, request: httpx.Request,
              validate: Callable[[str, dict[str, object]], tuple[Any, tuple[int, int]]]
              = edit.validate) -> httpx.Response:
        """§1.7's synchronous edits (and §1.8's control, with its ``validate``): raw
        bytes (or JSON), at the input's size; relight: async."""
        def job(form: Any) -> _Form:
            return _Upscaled(prompt=form.label, output_format=form.output_format,
                             seed=form.seed)
        return self._operation(request, validate, job, edit.RELIGHT)

    def _operation(
        self, request: httpx.Request,
        validate: Callable[[str, dict[str, object]], tuple[Any, tuple[int, int]]],
        job_of: Callable[[Any], _Form], async_path: str | None = None,
    ) -> httpx.Response:
        """A generation, upscale or edit: parameters before auth (§1.1), then the image,
        or (at ``async_path``) ``200 {id}`` whose result is polled at the results
        endpoint."""
        if len(request.content) > MAX_BODY_BYTES:
            return self.error_response(413)
        try:
            _validate_accept(request)
            form, size = validate(request.url.path, read_form(request))
        except InvalidBody as exc:
            return json_response(
                400, {"id": self.next_id(), "name": "bad_request", "errors": exc.messages}
            )
        if not self.bearer_ok(request):
            return self.error_response(401)
        if self.take("reject"):
            return self.error_response(403)
        job = job_of(form)
        if request.url.path == async_path:
            job_id = self.next_id(64)
            self._jobs[job_id] = (request.headers.get("authorization", ""), job, size,
                                  self.creative_polls)
            return json_response(200, {"id": job_id})
        return self._image(request, job, size)

    def _result(self, request: httpx.Request) -> httpx.Response:
        """§1.6 polling: 202 while in progress, then 200 with the image; 404 for an id
        this key did not create (or one never made)."""
        job_id = request.url.path.removeprefix(upscale.RESULTS)
        job = self._jobs.get(job_id)
        if job is None or job[0] != request.headers.get("authorization", ""):
            return json_response(404, {
                "id": self.next_id(), "name": "generation_not_found",
                "errors": ["id: the generation either does not exist or has expired."],
            })
        key, form, size, polls = job
        if polls > 0:
            self._jobs[job_id] = (key, form, size, polls - 1)
            return json_response(202, {"id": job_id, "status": "in-progress"})
        return self._image(request, form, size)

    def _image(self, request: httpx.Request, form: _Form, size: tuple[int, int]) -> httpx.Response:
        as_json = request.headers.get("accept", "image/*") == "application/json"
        media_type = MEDIA_TYPES[form.output_format]
        headers = {"x-request-id": self.next_id()}
        if self.take("malformed"):
            headers["content-type"] = "application/json" if as_json else media_type
            return httpx.Response(
                200, content=GARBAGE_JSON if as_json else GARBAGE_BYTES, headers=headers
            )
        seed = form.seed or derived_seed(form.prompt)
        finish = "CONTENT_FILTERED" if self.take("filtered") else "SUCCESS"
        data = render_image(form.prompt, seed, *size, fmt=form.output_format)
        if request.url.path == edit.REMOVE_BACKGROUND:
            data = edit.cut_out(data, form.output_format)
        if self.take("truncate"):
            data = truncate(data)
        if as_json:
            # §1.2: JSON answers carry finish_reason/seed in the body, not in headers.
            headers["content-type"] = f"application/json; type={media_type}"
            payload = {
                "image": base64.b64encode(data).decode(),
                "finish_reason": finish,
                "seed": seed,
            }
            return json_response(200, payload, headers)
        headers.update({"content-type": media_type, "finish-reason": finish, "seed": str(seed)})
        return httpx.Response(200, content=data, headers=headers)


class _Upscaled(_Form):
    """What :meth:`StabilityEmulator._image` needs of an upscale request."""


def _validate_accept(request: httpx.Request) -> None:
    accept = request.headers.get("accept", "image/*")
    if accept not in ("image/*", "*/*", "application/json"):
        raise InvalidBody(["accept: must be image/* or application/json"])
    for header in ("stability-client-id", "stability-client-user-id", "stability-client-version"):
        if len(request.headers.get(header, "")) > 256:
            raise InvalidBody([f"{header}: must be at most 256 characters"])


def _generate_form(form_cls: type[_Form], fields: dict[str, object]) -> _Form:
    try:
        form = form_cls.model_validate(fields)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from exc
    problems = form.problems()
    if problems:
        raise InvalidBody(problems)
    return form


def read_form(request: httpx.Request) -> dict[str, object]:
    """Form fields as strings and file parts as bytes (§1.1: numbers arrive as strings);
    an empty ``none`` file part, the official samples' dummy, is skipped."""
    try:
        form = read_form_data(request, files=_FILE_FIELDS, dummy="none")
    except FormProblem as exc:
        raise InvalidBody([str(exc)]) from exc
    return {**form.fields, **{name: data[0] for name, data in form.files.items()}}
