"""What Stability's edit and upscale clients share: one multipart POST answered with the
image, and the asynchronous endpoints (creative upscale, replace-background-and-relight)
that answer ``{id}`` and are polled at ``GET /v2beta/results/{id}`` (202 while in
progress, 200 with the image; https://platform.stability.ai/docs/api-reference#tag/Results).

The no-resend rule: a paid request whose outcome is unknown is never sent again, and a
submission whose polling ran out of time is resumed by its id, never submitted twice.
"""

from __future__ import annotations

import re
import time
from typing import ClassVar

import httpx

from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.errors import ProviderProtocolError, ProviderTimeout
from imagestudio.providers.journal import record_vendor_job, resumable_job
from imagestudio.providers.stability import NAME, _map_error, _parse_response, headers

GENERATION_ID = re.compile(r"^[0-9a-f]{64}$")
_RESULTS = "/v2beta/results/"
Files = dict[str, tuple[str, bytes]]


class StabilityClient(HttpProvider):
    """Base of :class:`StabilityEditor` and :class:`StabilityUpscaler`."""

    name: ClassVar[str] = NAME

    async def _post_for_image(self, path: str, fields: dict[str, str],
                              files: Files) -> GeneratedImage:
        """One paid multipart POST answered with the image, decoded and verified."""
        response = await self._post(path, fields, files)
        return (await _parse_response(response)).images[0]

    async def _submit_or_resume(
        self, what: str, path: str, fields: dict[str, str], files: Files | None,
        resume_id: str | None,
    ) -> GeneratedImage:
        """Submit an asynchronous job (``files``), or pick up ``resume_id`` without sending
        anything again, and poll until its image is ready. ``what`` names the operation in
        messages. A poll that runs out of time raises ``ProviderTimeout`` whose
        ``details['resume_id']`` resumes it; the vendor keeps results 24 h. Inside a job
        the id is stored in its unit journal before polling, and a job resumed after a
        stop polls the stored id (never submits again)."""
        if resume_id is None:
            resume_id = resumable_job(NAME)
        if resume_id is None:
            assert files is not None, "a new submission needs its files"
            job_id = await self._submit(what, path, fields, files)
            await record_vendor_job(NAME, job_id)  # stored before polling (a job resumes it)
        elif GENERATION_ID.match(resume_id):
            job_id = resume_id
        else:
            raise ProviderProtocolError("stability: a generation id is 64 hex characters",
                                        provider=NAME)
        return await self._poll(what, job_id)

    async def _submit(self, what: str, path: str, fields: dict[str, str],
                      files: Files) -> str:
        response = await self._post(path, fields, files)
        body = self._json(response)
        job_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(job_id, str) or not GENERATION_ID.match(job_id):
            raise ProviderProtocolError(f"stability: {what} answered no id", provider=NAME)
        return job_id

    async def _poll(self, what: str, job_id: str) -> GeneratedImage:
        deadline = time.monotonic() + self._poll_timeout_s
        while True:
            request = httpx.Request("GET", self._base + _RESULTS + job_id,
                                    headers=headers(self._api_key()))
            response = await self._send(request, creates_work=False)
            if response.status_code == 200:
                return (await _parse_response(response)).images[0]
            if response.status_code != 202:  # only 202 means in progress
                raise _map_error(response, secret=self._settings.api_key)
            if time.monotonic() >= deadline:
                raise ProviderTimeout(
                    f"stability: {what} {job_id} still running after "
                    f"{self._poll_timeout_s:.0f} s; resume it with resume_id",
                    provider=NAME, details={"resume_id": job_id},
                )
            await self._sleep(self._poll_interval_s)

    async def _post(self, path: str, fields: dict[str, str], files: Files) -> httpx.Response:
        """The paid multipart POST; a non-200 answer raised as its ``ProviderError``."""
        request = httpx.Request("POST", self._base + path, headers=headers(self._api_key()),
                                data=fields, files=files)
        return await self._send_ok(request, _map_error, creates_work=True)
