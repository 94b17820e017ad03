"""Emulator of Google Veo on the Gemini API: ``predictLongRunning``, the operation poll and
the file download (https://ai.google.dev/gemini-api/docs/video, as Google's python-genai
SDK sends and reads them).

Submit ``POST /v1beta/models/{model}:predictLongRunning`` answers ``{"name":
"models/{model}/operations/{id}"}``; ``GET /v1beta/{name}`` answers ``{name, done: false}``
for ``polls_before_done`` polls, then ``done: true`` with
``response.generateVideoResponse.generatedSamples[].video.uri`` =
``{base}/v1beta/files/{id}:download?alt=media``, served (with the key) as ``video/mp4``.

Validation (400 INVALID_ARGUMENT): exactly one instance with a prompt, image or video;
``aspectRatio`` 16:9 | 9:16; ``resolution`` 720p | 1080p | 4k; ``durationSeconds`` in
``durations`` (configurable: Google's rules are unconfirmed); the Vertex-only parameters the
SDK refuses; ``lastFrame`` needs ``image``; ``referenceImages`` ≤ 3, ASSET only, with a
prompt and no image/lastFrame/video. Retired ids (``veo-2.0-*``, ``veo-3.0-*``) are 404.

Job faults: :meth:`fail_job` (``done`` with ``error``), :meth:`filter_job` (``done`` with
only ``raiMediaFilteredCount``/``Reasons``, Google's verbatim "not charged" text),
:meth:`expire_files` (downloads 404); plus the base knobs (``rate_limit`` gives 429
RESOURCE_EXHAUSTED on submit, ``timeout``, ``fail_next``).
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from imagestudio.emulators._base import json_response
from imagestudio.emulators.gemini import GeminiEmulator

VEO_MODELS = frozenset({
    "veo-3.1-generate-preview", "veo-3.1-generate-001", "veo-3.1-fast-generate-001",
    "veo-3.1-fast-generate-preview",
})
RETIRED = re.compile(r"^veo-(2\.0|3\.0)-")
FILTERED_REASON = (
    "Veo could not generate 1 videos based on the prompt provided. You will not be charged "
    "for this request. Try rephrasing the prompt. If you think this was an error, send "
    "feedback. Support codes: 42237218"
)
VERTEX_ONLY = ("seed", "generateAudio", "storageUri", "outputGcsUri", "fps", "pubsubTopic",
               "compressionQuality", "labels", "resizeMode", "mask")
_RESPONSE_TYPE = (
    "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
)
_SUBMIT = re.compile(r"^/v1beta/models/([^/:]+):predictLongRunning$")
_POLL = re.compile(r"^/v1beta/(models/([^/]+)/operations/([a-z0-9]+))$")
_FILE = re.compile(r"^/v1beta/files/([a-z0-9]+):download$")


@functools.lru_cache(maxsize=1)
def sample_mp4() -> bytes:
    """A real, tiny H.264 MP4 (12 frames, 64×112), made with PyAV."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 112, "yuv420p"
        for index in range(12):
            frame = av.VideoFrame(64, 112, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([16 + index * 10]) * plane.buffer_size)
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@dataclass
class _Job:
    model: str
    polls: int = 0
    outcome: dict[str, Any] | None = None
    body: dict[str, Any] = field(default_factory=dict)


class VeoEmulator(GeminiEmulator):
    """Veo long-running video generation on the Gemini API."""

    name: ClassVar[str] = "veo"

    def __init__(self, api_key: str | None = "test-key", *, latency_s: float = 0.0,
                 base_url: str = "https://generativelanguage.googleapis.com",
                 polls_before_done: int = 2) -> None:
        super().__init__(api_key, latency_s=latency_s)
        self.base_url = base_url.rstrip("/")
        self.polls_before_done = polls_before_done
        self.durations: dict[str, frozenset[int]] = {}
        self.default_durations = frozenset({4, 6, 8})
        self.jobs: dict[str, _Job] = {}
        self.files: dict[str, bytes] = {}
        self._job_faults: list[dict[str, Any]] = []

    # ---- knobs ------------------------------------------------------------------------

    def fail_job(self, message: str = "Internal error", code: int = 13) -> None:
        """The next submitted job ends ``done`` with ``error``."""
        self._job_faults.append({"error": {"code": code, "message": message,
                                           "status": "INTERNAL"}})

    def filter_job(self, reason: str = FILTERED_REASON) -> None:
        """The next submitted job ends ``done`` with no samples, only the RAI filter."""
        self._job_faults.append({"response": {
            "@type": _RESPONSE_TYPE,
            "generateVideoResponse": {"raiMediaFilteredCount": 1,
                                      "raiMediaFilteredReasons": [reason]}}})

    def expire_files(self) -> None:
        """Every file generated so far is gone (404), as after the retention period."""
        self.files.clear()

    def submissions(self) -> list[httpx.Request]:
        return [r for r in self.calls if r.method == "POST" and _SUBMIT.match(r.url.path)]

    # ---- routing ----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        path = request.url.path
        if request.method == "POST" and (match := _SUBMIT.match(path)):
            return self._submit(match.group(1), request)
        if request.method == "GET" and (match := _POLL.match(path)):
            return self._poll(match.group(1), match.group(3))
        if request.method == "GET" and (match := _FILE.match(path)):
            data = self.files.get(match.group(1))
            if data is None or request.url.params.get("alt") != "media":
                return self.error_response(404, "File not found.")
            return httpx.Response(200, content=data, headers={"content-type": "video/mp4"})
        return self.error_response(404, f"{request.method} {path}: not found")

    def _submit(self, model: str, request: httpx.Request) -> httpx.Response:
        if RETIRED.match(model):
            return self.error_response(404, f"models/{model} is not found for API version "
                                            "v1beta, or is not supported for predictLongRunning.")
        if model not in VEO_MODELS:
            return self.error_response(404, f"models/{model} is not found")
        try:
            body = json.loads(request.read() or b"null")
        except ValueError:
            return self.error_response(400, "Invalid JSON payload received.")
        problem = self._invalid(model, body if isinstance(body, dict) else {})
        if problem:
            return self.error_response(400, problem)
        op_id = self.next_id(12)
        job = _Job(model, body=body)
        if self._job_faults:
            job.outcome = self._job_faults.pop(0)
        self.jobs[op_id] = job
        return json_response(200, {"name": f"models/{model}/operations/{op_id}"})

    def _invalid(self, model: str, body: dict[str, Any]) -> str | None:
        instances = body.get("instances")
        if not isinstance(instances, list) or len(instances) != 1:
            return "instances: exactly one instance is required"
        instance, params = instances[0], body.get("parameters") or {}
        unknown = set(body) - {"instances", "parameters", "webhookConfig"}
        if unknown:
            return f"Invalid JSON payload received. Unknown name {sorted(unknown)[0]!r}"
        if not any(instance.get(k) for k in ("prompt", "image", "video")):
            return "instances[0]: one of prompt, image or video is required"
        for name in VERTEX_ONLY:
            if name in params or name in instance:
                return f"{name} parameter is not supported in Gemini API."
        if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
            return "aspectRatio: must be 16:9 or 9:16"
        if params.get("resolution", "720p") not in ("720p", "1080p", "4k"):
            return "resolution: must be 720p, 1080p or 4k"
        allowed = self.durations.get(model, self.default_durations)
        if "durationSeconds" in params and params["durationSeconds"] not in allowed:
            return f"durationSeconds: must be one of {sorted(allowed)}"
        image = instance.get("image")
        if image is not None:
            if not isinstance(image, dict) or "bytesBase64Encoded" not in image \
                    or "mimeType" not in image:
                return "image: bytesBase64Encoded and mimeType are required"
            if image.get("gcsUri"):
                return "gcs_uri parameter is not supported in Gemini API."
            try:
                base64.b64decode(image["bytesBase64Encoded"], validate=True)
            except ValueError:
                return "image.bytesBase64Encoded: invalid base64"
        if instance.get("lastFrame") and not image:
            return "lastFrame: only supported for image to video"
        refs = instance.get("referenceImages") or []
        if refs and (len(refs) > 3 or not instance.get("prompt") or image
                     or instance.get("lastFrame") or instance.get("video")
                     or any(r.get("referenceType") != "ASSET" for r in refs)):
            return "referenceImages: up to 3 ASSET images with a prompt and nothing else"
        return None

    def _poll(self, name: str, op_id: str) -> httpx.Response:
        job = self.jobs.get(op_id)
        if job is None:
            return self.error_response(404, f"Operation {name} not found.")
        job.polls += 1
        if job.polls <= self.polls_before_done:
            return json_response(200, {"name": name, "done": False, "metadata": {}})
        if job.outcome is None:
            file_id = self.next_id(16)
            self.files[file_id] = sample_mp4()
            uri = f"{self.base_url}/v1beta/files/{file_id}:download?alt=media"
            job.outcome = {"response": {
                "@type": _RESPONSE_TYPE,
                "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}}}
        return json_response(200, {"name": name, "done": True, **job.outcome})
