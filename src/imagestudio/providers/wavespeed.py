"""WaveSpeed AI v3 (https://wavespeed.ai/docs): submit once, poll, download the outputs.

The submit POST is paid work and is sent exactly once: it is never repeated, whatever
happens later (§7 note 4; prior-art §10 pitfall 31). Polls and downloads are idempotent
GETs, retried on 429/5xx/timeouts inside a budget bounded by time *and* by consecutive
errors (pitfall 22). Once a job exists, running out of that budget raises
``ProviderOutcomeUnknown`` (the job may still finish and be billed), so no caller re-submits.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import SecretStr

from imagestudio.providers._http import (
    error_for_status,
    parse_retry_after,
    sanitize,
    verified_image,
)
from imagestudio.providers._vendor import HttpProvider, Sleep, reject_unsupported
from imagestudio.providers.base import (
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderUsage,
)
from imagestudio.providers.errors import (
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderProtocolError,
    ProviderUnavailable,
)
from imagestudio.providers.journal import record_vendor_job, resumable_job

NAME = "wavespeed"
MAX_CONSECUTIVE_ERRORS = 5
# §2.3: terminal states other than success (the SDK also treats cancelled/timeout as final).
_FAILED = frozenset({"failed", "cancelled", "timeout"})
T = TypeVar("T")


@dataclass(frozen=True)
class _Model:
    """What one WaveSpeed model accepts (§2.5), keyed by its exact id in :data:`_MODELS`."""

    accepted: frozenset[str]
    options: frozenset[str]
    build: Callable[[ProviderRequest], dict[str, Any]]
    sync_mode: bool  # documented for the model; otherwise submit + poll (§2.4)


def _ideogram_body(request: ProviderRequest) -> dict[str, Any]:
    # §2.5: no size, seed, negative_prompt or output_format on this model.
    body: dict[str, Any] = {"prompt": request.prompt}
    if request.size.aspect_ratio is not None:
        body["aspect_ratio"] = request.size.aspect_ratio
    if "style" in request.options:
        body["style"] = request.options["style"]
    return body


def _qwen_body(request: ProviderRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": request.prompt,
        "size": f"{request.size.width}*{request.size.height}",
        "output_format": request.output_format,
    }
    if request.seed is not None:
        body["seed"] = request.seed
    return body


# Sync mode is documented for Qwen; for Ideogram it is unconfirmed (§2.4), so it polls.
# A sync-window timeout (code 5004) falls back to polling either way.
_MODELS: dict[str, _Model] = {
    "ideogram-ai/ideogram-v3-turbo": _Model(
        frozenset(), frozenset({"style"}), _ideogram_body, sync_mode=False
    ),
    "wavespeed-ai/qwen-image/text-to-image": _Model(
        frozenset({"seed"}), frozenset(), _qwen_body, sync_mode=True
    ),
}


@dataclass(frozen=True)
class _Job:
    id: str
    status: str
    outputs: list[str]
    nsfw: list[bool]
    error: str
    inference_ms: int | None


def _build_request(request: ProviderRequest, *, base_url: str, api_key: str) -> httpx.Request:
    """``POST /api/v3/{model_id}`` with the model inputs as a bare JSON object (§2.2)."""
    model = _MODELS.get(request.model)
    if model is None:
        raise ProviderBadRequest(f"wavespeed has no model {request.model!r}", provider=NAME)
    reject_unsupported(request, model.accepted, provider=NAME, options=model.options)
    body = model.build(request)
    if model.sync_mode:
        body["enable_sync_mode"] = True
    return httpx.Request(
        "POST",
        f"{base_url}/api/v3/{request.model}",
        headers={"Authorization": f"Bearer {api_key}"},
        json=body,
    )


def _envelope(body: Any, *, secret: SecretStr | None) -> dict[str, Any]:
    """``data`` of a ``{code, message, data}`` envelope; ``code != 200`` is an error (§2.7)."""
    if not isinstance(body, dict):
        raise ProviderProtocolError("wavespeed: response is not an envelope", provider=NAME)
    code = body.get("code")
    if code is not None and code != 200:
        message = sanitize(str(body.get("message", "")), secret)
        if isinstance(code, int) and 400 <= code < 600:
            raise error_for_status(code, message, provider=NAME)
        raise ProviderBadRequest(f"wavespeed error code {code}: {message}", provider=NAME)
    data = body.get("data")
    if not isinstance(data, dict):
        raise ProviderProtocolError("wavespeed: envelope without data", provider=NAME)
    return data


def _parse_job(data: dict[str, Any]) -> _Job:
    job_id, status = data.get("id"), data.get("status")
    outputs, nsfw = data.get("outputs") or [], data.get("has_nsfw_contents") or []
    timings = data.get("timings")
    inference = timings.get("inference") if isinstance(timings, dict) else None
    if not (isinstance(job_id, str) and job_id and isinstance(status, str)):
        raise ProviderProtocolError("wavespeed: prediction without id or status", provider=NAME)
    if not (isinstance(outputs, list) and all(isinstance(o, str) for o in outputs)):
        raise ProviderProtocolError("wavespeed: outputs is not a list of URLs", provider=NAME)
    if not (isinstance(nsfw, list) and all(isinstance(f, bool) for f in nsfw)):
        raise ProviderProtocolError("wavespeed: has_nsfw_contents is not a list", provider=NAME)
    return _Job(
        id=job_id,
        status=status,
        outputs=outputs,
        nsfw=nsfw,
        error=str(data.get("error") or ""),
        inference_ms=inference if isinstance(inference, int) else None,
    )


def _map_error(response: httpx.Response, *, secret: SecretStr | None) -> ProviderError:
    """A non-200 answer; bodies are ``{code, message, error_code?}`` envelopes (§2.7)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or "")
        if body.get("error_code"):
            message = f"{body['error_code']}: {message}"
    else:
        message = response.text
    return error_for_status(
        response.status_code,
        sanitize(message, secret),
        provider=NAME,
        retry_after=parse_retry_after(response.headers),
    )


class _Budget:
    """Bounds everything after the submit: total time and consecutive retryable errors.

    Elapsed time is the larger of wall time and time slept, so an injected fake ``sleep``
    still reaches the bound.
    """

    def __init__(self, job_id: str, *, timeout_s: float, sleep: Sleep) -> None:
        self.job_id = job_id
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._start = time.monotonic()
        self._slept = 0.0
        self._errors = 0

    def remaining(self) -> float:
        return self._timeout_s - max(time.monotonic() - self._start, self._slept)

    async def pause(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.remaining()))
        await self._sleep(seconds)
        self._slept += seconds

    def succeeded(self) -> None:
        self._errors = 0

    def failed(self, exc: ProviderError) -> None:
        """Re-raise ``exc`` unless it is retryable and the budget allows another try."""
        if not exc.retryable:
            raise exc
        self._errors += 1
        if self._errors >= MAX_CONSECUTIVE_ERRORS or self.remaining() <= 0:
            raise self.abandon(f"{self._errors} consecutive errors, last: {exc.message}") from exc

    def abandon(self, why: str) -> ProviderOutcomeUnknown:
        return ProviderOutcomeUnknown(
            f"wavespeed: gave up on prediction {self.job_id} ({why}); it may still complete "
            "and be billed",
            provider=NAME,
            details={"prediction_id": self.job_id},
        )


class WaveSpeedProvider(HttpProvider):
    """Ideogram v3 Turbo and Qwen Image through WaveSpeed's submit/poll API."""

    name: ClassVar[str] = NAME

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """Submit once, poll until done, download and verify every output."""
        key = self._api_key()
        resumed = resumable_job(NAME)
        if resumed is not None:  # a previous process submitted it: poll, never re-submit
            job = _Job(resumed, "processing", [], [], "", None)
        else:
            job = await self._submit(request, key)
        budget = _Budget(job.id, timeout_s=self._poll_timeout_s, sleep=self._sleep)
        job = await self._until_done(job, key, budget)
        images = await self._download_all(job, request.seed, budget)
        return ProviderResult(
            images=images,
            request_id=job.id,
            usage=ProviderUsage(images_billed=len(job.outputs)),
            metadata={
                "model": request.model,
                "inference_ms": job.inference_ms,
                "nsfw_dropped": len(job.outputs) - len(images),
            },
        )

    async def _submit(self, request: ProviderRequest, key: str) -> _Job:
        job = await self._post_job(_build_request(request, base_url=self._base, api_key=key))
        await record_vendor_job(NAME, job.id)  # stored before polling (a job resumes it)
        return job

    async def _post_job(self, request: httpx.Request) -> _Job:
        """The paid submit, sent once; the job its answer describes."""
        response = await self._send_ok(request, _map_error, creates_work=True)
        return _parse_job(_envelope(self._json(response), secret=self._settings.api_key))

    async def _one_image(self, model: str, body: dict[str, Any], seed: int | None,
                         key: str) -> GeneratedImage:
        """``model``'s one output for ``body`` (an edit or an upscale): submitted once,
        polled and downloaded with retried GETs, verified."""
        request = httpx.Request("POST", f"{self._base}/api/v3/{model}",
                                headers={"Authorization": f"Bearer {key}"}, json=body)
        job = await self._post_job(request)
        budget = _Budget(job.id, timeout_s=self._poll_timeout_s, sleep=self._sleep)
        job = await self._until_done(job, key, budget)
        return (await self._download_all(job, seed, budget))[0]

    async def _until_done(self, job: _Job, key: str, budget: _Budget) -> _Job:
        # Poll URL built from our own base URL, never from data.urls.get: the key must only
        # ever go to the configured host.
        url = f"{self._base}/api/v3/predictions/{quote(job.id, safe='')}/result"
        while job.status != "completed":
            if job.status in _FAILED:
                raise ProviderUnavailable(
                    f"wavespeed job {job.id} {job.status}: {self._clean(job.error)}",
                    provider=NAME,
                    details={"prediction_id": job.id},
                )
            if budget.remaining() <= 0:
                raise budget.abandon(f"still {job.status} after {self._poll_timeout_s:g} s")
            await budget.pause(self._poll_interval_s)
            job = await self._retrying(budget, lambda: self._poll_once(url, key))
        return job

    async def _poll_once(self, url: str, key: str) -> _Job:
        request = httpx.Request("GET", url, headers={"Authorization": f"Bearer {key}"})
        response = await self._send_ok(request, _map_error, creates_work=False)
        return _parse_job(_envelope(self._json(response), secret=self._settings.api_key))

    async def _download_all(
        self, job: _Job, seed: int | None, budget: _Budget
    ) -> list[GeneratedImage]:
        if not job.outputs:
            raise ProviderProtocolError(
                f"wavespeed job {job.id} completed without outputs", provider=NAME
            )
        flags = job.nsfw + [False] * (len(job.outputs) - len(job.nsfw))
        kept = [url for url, flagged in zip(job.outputs, flags, strict=False) if not flagged]
        if not kept:
            raise ProviderContentRejected(
                f"wavespeed flagged every output of job {job.id} as NSFW", provider=NAME
            )
        return [
            await self._retrying(budget, functools.partial(self._download_once, url, seed))
            for url in kept
        ]

    async def _download_once(self, url: str, seed: int | None) -> GeneratedImage:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ProviderProtocolError("wavespeed: output is not an http(s) URL", provider=NAME)
        # Outputs live on a CDN host: no Authorization header goes there (§7 note 1).
        response = await self._send_ok(httpx.Request("GET", url), _map_error, creates_work=False,
                                       follow_redirects=True)
        return await verified_image(response.content, provider=NAME, seed=seed)

    async def _retrying(self, budget: _Budget, operation: Callable[[], Awaitable[T]]) -> T:
        """Run an idempotent GET ``operation`` until it succeeds or the budget says stop."""
        while True:
            try:
                result = await operation()
            except ProviderError as exc:
                budget.failed(exc)
                await budget.pause(exc.retry_after or self._poll_interval_s)
                continue
            budget.succeeded()
            return result
