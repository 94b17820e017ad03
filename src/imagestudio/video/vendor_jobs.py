"""Run a vendor's video job to the end, resumably, through the job's unit journal
(:mod:`imagestudio.providers.journal`): "sent" is stored before the submit and the
vendor's job id right after it, *before* the first poll, so a restarted server polls the
same job instead of submitting (and paying for) a second one.

A job that does not finish in ``timeout_s`` raises :class:`ProviderTimeout` (its id stays
journaled). A refused job (content filter) raises :class:`ProviderContentRejected`; a
failed one :class:`ProviderUnavailable`. Outside a job (no journal installed) the job
simply runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from imagestudio.providers.errors import (
    ProviderContentRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from imagestudio.providers.journal import (
    after_unbilled_send,
    before_paid_send,
    record_vendor_job,
    resumable_job,
)
from imagestudio.providers.video_job import VideoJobState


class PollingClient(Protocol):
    provider: str

    async def poll(self, vendor_job_id: str) -> VideoJobState: ...
    async def download(self, uri: str) -> bytes: ...


async def run_vendor_job(
    client: PollingClient,
    submit: Callable[[], Awaitable[str]],
    *,
    interval_s: float = 10.0,
    timeout_s: float = 600.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The video of the current unit's vendor job: resumed from the journal, or
    submitted (after the journal stored "sent") and journaled before polling."""
    provider = client.provider
    vendor_id = resumable_job(provider)
    if vendor_id is None:
        await before_paid_send(provider)  # may refuse: cancelled, or outcome unknown
        vendor_id = await submit()
        await record_vendor_job(provider, vendor_id)
    deadline = clock() + timeout_s
    while True:
        state = await client.poll(vendor_id)
        if state.done:
            break
        if clock() + interval_s > deadline:
            raise ProviderTimeout(
                f"{provider} video job {vendor_id} did not finish in {timeout_s:g} s; "
                "its id is kept and a restarted server resumes it", provider=provider,
                details={"vendor_job_id": vendor_id},
            )
        await sleep(interval_s)
    if state.refused is not None or state.error is not None or state.video_uri is None:
        await after_unbilled_send(provider)  # a refused or failed vendor job is not billed
    if state.refused is not None:
        raise ProviderContentRejected(f"{provider} refused the video: {state.refused}",
                                      provider=provider, details={"vendor_job_id": vendor_id})
    if state.error is not None or state.video_uri is None:
        raise ProviderUnavailable(f"{provider} video job failed: {state.error}",
                                  provider=provider, details={"vendor_job_id": vendor_id})
    return await client.download(state.video_uri)
