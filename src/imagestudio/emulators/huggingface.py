"""Emulator of the Hugging Face router's ``hf-inference`` text-to-image (https://huggingface.co/docs/inference-providers).

Serves ``POST /hf-inference/models/{org}/{name}``; checks ``Authorization: Bearer <key>``
(401 ``{"error": ...}`` otherwise), a known fully qualified model id (404), and the body
against the ``@huggingface/tasks`` text-to-image input schema with ``extra="forbid"`` and
strict types (400 ``{"error": ...}``). Answers raw PNG bytes of exactly width×height
(1024×1024 by default). Extra knobs: ``loading`` (503 + ``estimated_time``) and
``out_of_credits`` (402). HF documents no moderation signal, so ``reject_content`` is
not supported.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from imagestudio.emulators._base import (
    GARBAGE_BYTES,
    Emulator,
    InvalidBody,
    derived_seed,
    render_image,
    truncate,
    validate_json,
)

DEFAULT_MODELS = frozenset(
    {
        "black-forest-labs/FLUX.1-schnell",
        "black-forest-labs/FLUX.1-dev",
        "stabilityai/stable-diffusion-xl-base-1.0",
    }
)
_CREDITS = (
    "You have exceeded your monthly included credits for Inference Providers. Subscribe to "
    "PRO to get 20x more monthly included credits."
)


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guidance_scale: float | None = None
    negative_prompt: str | None = None
    num_inference_steps: int | None = Field(default=None, ge=1, le=100)
    # Side limits are not documented (§3.2): lenient bounds, exact output size.
    width: int | None = Field(default=None, ge=16, le=4096)
    height: int | None = Field(default=None, ge=16, le=4096)
    scheduler: str | None = None
    seed: int | None = Field(default=None, ge=0)


class TextToImageInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: str = Field(min_length=1)
    parameters: Parameters | None = None


class HuggingFaceEmulator(Emulator):
    """``hf-inference`` text-to-image; ``models`` None accepts any ``org/name`` id."""

    name: ClassVar[str] = "huggingface"
    base_path: ClassVar[str] = "/hf-inference"
    messages: ClassVar[dict[int, str]] = {
        401: "Invalid credentials in Authorization header",
        402: _CREDITS,
    }

    def __init__(
        self,
        api_key: str | None = "test-key",
        *,
        latency_s: float = 0.0,
        models: frozenset[str] | None = DEFAULT_MODELS,
    ) -> None:
        super().__init__(api_key, latency_s=latency_s)
        self.models = models

    def loading(self, estimated_time: float = 20.0, times: int = 1) -> None:
        """Cold start: 503 ``{"error": "... is currently loading", "estimated_time": ...}``."""
        body = {"error": "Model is currently loading", "estimated_time": estimated_time}
        self.fail_next(503, body, times=times)

    def out_of_credits(self, times: int = 1) -> None:
        self.fail_next(402, times=times)

    def reject_content(self, times: int = 1) -> None:
        raise NotImplementedError("hf-inference has no documented moderation signal (§3.4)")

    def error_body(self, status: int, message: str) -> Any:  # noqa: ARG002 - §3.4: no code field
        return {"error": message}

    def handle(self, request: httpx.Request) -> httpx.Response:
        prefix = f"{self.base_path}/models/"
        path = request.url.path
        if request.method != "POST" or not path.startswith(prefix):
            return self.error_response(404, f"{request.method} {path}: not found")
        if not self.bearer_ok(request):
            return self.error_response(401)
        model = path.removeprefix(prefix)
        org, _, repo = model.partition("/")
        if not (org and repo) or (self.models is not None and model not in self.models):
            return self.error_response(404, f"Model {model} does not exist")
        try:
            body = validate_json(request, TextToImageInput)
        except InvalidBody as exc:
            return self.error_response(400, "; ".join(exc.messages))
        return self._image(request, body)

    def _image(self, request: httpx.Request, body: TextToImageInput) -> httpx.Response:
        params = body.parameters or Parameters()
        jpeg = request.headers.get("accept") == "image/jpeg"
        headers = {
            "content-type": "image/jpeg" if jpeg else "image/png",
            "x-request-id": self.next_id(),
        }
        if self.take("malformed"):
            return httpx.Response(200, content=GARBAGE_BYTES, headers=headers)
        seed = derived_seed(body.inputs) if params.seed is None else params.seed
        data = render_image(
            body.inputs,
            seed,
            params.width or 1024,
            params.height or 1024,
            fmt="jpeg" if jpeg else "png",
        )
        if self.take("truncate"):
            data = truncate(data)
        return httpx.Response(200, content=data, headers=headers)
