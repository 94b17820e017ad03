"""WaveSpeed WAN image-to-video through its emulator: submit (the documented fields, image
as a data: URI), created → processing → completed, failure, NSFW refusal, timeout and
resume with no second submission, expired output."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from tests.video.conftest import MemoryJournal

from imagestudio.emulators.wavespeed_video import WanVideoEmulator
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from imagestudio.providers.journal import journal_scope, unit_scope
from imagestudio.providers.wan import WanVideoClient
from imagestudio.video.vendor_jobs import run_vendor_job

av = pytest.importorskip("av")
MODEL = "alibaba/wan-2.6/image-to-video"
BASE = "https://api.wavespeed.ai"
STILL = b"\x89PNG\r\n\x1a\nstill"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(emulator: WanVideoEmulator, key: str = "test-key") -> tuple[WanVideoClient,
                                                                       httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async))
    return WanVideoClient(http, key, BASE), http


async def _run(client: WanVideoClient, journal: MemoryJournal, fake: FakeTime, *,
               timeout_s: float = 600, duration_s: int = 5) -> bytes:
    async def submit() -> str:
        return await client.submit(MODEL, prompt="the bottle turns slowly", image=STILL,
                                   duration_s=duration_s, resolution="1080p")

    with journal_scope(journal), unit_scope(0):
        return await run_vendor_job(client, submit, interval_s=5,
                                timeout_s=timeout_s, sleep=fake.sleep, clock=fake.clock)


async def test_submit_states_and_download() -> None:
    emulator = WanVideoEmulator(polls_before_done=2)
    client, http = _client(emulator)
    fake = FakeTime()
    async with http:
        data = await _run(client, MemoryJournal(), fake)
    sent = emulator.submissions()[0]
    assert sent.headers["authorization"] == "Bearer test-key"
    assert json.loads(sent.content) == {
        "image": "data:image/png;base64,iVBORw0KGgpzdGlsbA==",
        "prompt": "the bottle turns slowly", "duration": 5, "resolution": "1080p", "seed": -1,
    }
    assert emulator.dropped == [] and fake.sleeps == [5, 5]
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    downloads = [r for r in emulator.calls if r.url.path.startswith("/media/")]
    assert downloads and "authorization" not in downloads[0].headers  # the CDN gets no key


async def test_timeout_then_resume_without_a_second_submission() -> None:
    emulator = WanVideoEmulator(polls_before_done=100)
    journal = MemoryJournal()
    client, http = _client(emulator)
    async with http:
        with pytest.raises(ProviderTimeout) as info:
            await _run(client, journal, FakeTime(), timeout_s=20)
    assert journal.jobs == {(0, "wavespeed"): info.value.details["vendor_job_id"]}
    emulator.polls_before_done = 0
    again, http = _client(emulator)
    async with http:
        assert await _run(again, journal, FakeTime())  # what the job rows kept
    assert len(emulator.submissions()) == 1


async def test_failure_refusal_and_expiry() -> None:
    emulator = WanVideoEmulator(polls_before_done=0)
    client, http = _client(emulator)
    async with http:
        emulator.reject_content()
        with pytest.raises(ProviderContentRejected, match="NSFW"):
            await _run(client, MemoryJournal(), FakeTime())
        emulator.jobs_fail("CUDA out of memory")
        with pytest.raises(ProviderUnavailable, match="CUDA out of memory"):
            await _run(client, MemoryJournal(), FakeTime())


async def test_submit_errors() -> None:
    emulator = WanVideoEmulator()
    client, http = _client(emulator)
    async with http:
        with pytest.raises(ProviderBadRequest, match="duration"):
            await _run(client, MemoryJournal(), FakeTime(), duration_s=8)
        emulator.rate_limit()
        with pytest.raises(ProviderRateLimited):
            await _run(client, limited := MemoryJournal(), FakeTime())
    bad, http = _client(emulator, key="nope")
    async with http:
        with pytest.raises(ProviderAuthError):
            await _run(bad, MemoryJournal(), FakeTime())
    assert limited.sent == [(0, "wavespeed")] and limited.jobs == {}  # refused: no id


async def test_undeclared_fields_are_dropped_silently_and_outputs_expire() -> None:
    emulator = WanVideoEmulator(polls_before_done=0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async)) as raw:
        answer = await raw.post(f"{BASE}/api/v3/{MODEL}", headers={"Authorization":
                                "Bearer test-key"}, json={"image": "https://x/a.png",
                                "prompt": "p", "fps": 30})
        assert answer.status_code == 200 and emulator.dropped == ["fps"]
        job = answer.json()["data"]["id"]
        result = (await raw.get(f"{BASE}/api/v3/predictions/{job}/result",
                                headers={"Authorization": "Bearer test-key"})).json()
        emulator.expire_outputs()
        gone = await raw.get(result["data"]["outputs"][0])
        assert gone.status_code == 404
