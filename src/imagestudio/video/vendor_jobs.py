"""Run a vendor's video job to the end, resumably: the vendor's job id is written to a
:class:`Journal` *before* the first poll, so a worker that restarts polls the same job
instead of submitting (and paying for) a second one.

A job that does not finish in ``timeout_s`` raises :class:`ProviderTimeout` and stays in
the journal: running again resumes it. A refused job (content filter) raises
:class:`ProviderContentRejected`; a failed one :class:`ProviderUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from imagestudio.providers.errors import (
    ProviderContentRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from imagestudio.providers.video_job import VideoJobState


class Journal(Protocol):
    def recall(self, key: str) -> str | None: ...
    def remember(self, key: str, vendor_job_id: str) -> None: ...


class PollingClient(Protocol):
    provider: str

    async def poll(self, vendor_job_id: str) -> VideoJobState: ...
    async def download(self, uri: str) -> bytes: ...


class FileJournal:
    """A journal in a JSON file, replaced atomically on every write (survives restarts)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def recall(self, key: str) -> str | None:
        return self._read().get(key)

    def remember(self, key: str, vendor_job_id: str) -> None:
        entries = self._read() | {key: vendor_job_id}
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(entries), encoding="utf-8")
        os.replace(temporary, self._path)


async def run_vendor_job(
    client: PollingClient,
    submit: Callable[[], Awaitable[str]],
    journal: Journal,
    key: str,
    *,
    interval_s: float = 10.0,
    timeout_s: float = 600.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The video of job ``key``: resumed from the journal, or submitted and journaled."""
    vendor_id = journal.recall(key)
    if vendor_id is None:
        vendor_id = await submit()
        journal.remember(key, vendor_id)
    deadline = clock() + timeout_s
    provider = client.provider
    while True:
        state = await client.poll(vendor_id)
        if state.done:
            break
        if clock() + interval_s > deadline:
            raise ProviderTimeout(
                f"{provider} video job {vendor_id} did not finish in {timeout_s:g} s; "
                "it is kept and resumed on the next run", provider=provider,
                details={"vendor_job_id": vendor_id},
            )
        await sleep(interval_s)
    if state.refused is not None:
        raise ProviderContentRejected(f"{provider} refused the video: {state.refused}",
                                      provider=provider, details={"vendor_job_id": vendor_id})
    if state.error is not None or state.video_uri is None:
        raise ProviderUnavailable(f"{provider} video job failed: {state.error}",
                                  provider=provider, details={"vendor_job_id": vendor_id})
    return await client.download(state.video_uri)
