"""Veo (Gemini API long-running operations) through its emulator: submit, every job state,
success, failure, content refusal, timeout, and resume after a restart with no second
submission. No real time passes: polling sleeps on a fake clock."""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
from tests.video.conftest import MemoryJournal

from imagestudio.emulators.veo import FILTERED_REASON, VeoEmulator
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderOutcomeUnknown,
    ProviderProtocolError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from imagestudio.providers.journal import journal_scope, unit_scope
from imagestudio.providers.veo import BASE_URL, VeoClient
from imagestudio.video.vendor_jobs import run_vendor_job

av = pytest.importorskip("av")
MODEL = "veo-3.1-generate-preview"
STILL = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def emulator() -> VeoEmulator:
    return VeoEmulator(polls_before_done=2)


def _client(emulator: VeoEmulator, key: str = "test-key") -> tuple[VeoClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async))
    return VeoClient(http, key, BASE_URL), http


async def _run(client: VeoClient, journal: MemoryJournal, fake: FakeTime, *,
               timeout_s: float = 600) -> bytes:
    async def submit() -> str:
        return await client.submit(MODEL, prompt="slow push on the product", image=STILL,
                                   duration_s=8, aspect_ratio="9:16", resolution="720p")

    with journal_scope(journal), unit_scope(0):
        return await run_vendor_job(client, submit, interval_s=10,
                                timeout_s=timeout_s, sleep=fake.sleep, clock=fake.clock)


async def test_submit_poll_and_download(emulator: VeoEmulator) -> None:
    client, http = _client(emulator)
    fake = FakeTime()
    async with http:
        data = await _run(client, MemoryJournal(), fake)
    body = json.loads(emulator.submissions()[0].content)
    assert body == {"instances": [{
        "prompt": "slow push on the product",
        "image": {"bytesBase64Encoded": base64.b64encode(STILL).decode(),
                  "mimeType": "image/png"}}],
        "parameters": {"sampleCount": 1, "durationSeconds": 8, "aspectRatio": "9:16",
                       "resolution": "720p"}}
    assert emulator.submissions()[0].headers["x-goog-api-key"] == "test-key"
    assert fake.sleeps == [10, 10]  # two polls said "not done", the third "done"
    polls = [r for r in emulator.calls if "/operations/" in r.url.path]
    assert len(polls) == 3
    with av.open(io.BytesIO(data)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 12


async def test_the_job_id_is_journaled_before_polling_and_a_restart_resumes(
    emulator: VeoEmulator, 
) -> None:
    journal = MemoryJournal()
    emulator.polls_before_done = 50
    client, http = _client(emulator)
    async with http:
        with pytest.raises(ProviderTimeout) as info:
            await _run(client, journal, FakeTime(), timeout_s=30)
    name = info.value.details["vendor_job_id"]
    assert name.startswith(f"models/{MODEL}/operations/")
    assert journal.sent == [(0, "gemini")] and journal.jobs == {(0, "gemini"): name}

    emulator.polls_before_done = 0  # the vendor finished meanwhile
    restarted, http = _client(emulator)  # a new worker: new client, journal read from disk
    async with http:
        data = await _run(restarted, journal, FakeTime())  # what the job rows kept
    assert data.startswith(b"\x00\x00\x00") and b"ftyp" in data[:16]
    assert len(emulator.submissions()) == 1  # never submitted twice


async def test_a_failed_job(emulator: VeoEmulator) -> None:
    emulator.fail_job("Video generation failed due to an internal error.")
    client, http = _client(emulator)
    journal = MemoryJournal()
    async with http:
        with pytest.raises(ProviderUnavailable, match="internal error"):
            await _run(client, journal, FakeTime())
    assert journal.unbilled_sends == journal.sent  # a failed job is not billed


async def test_a_refused_job_is_content_rejected_and_says_not_charged(
    emulator: VeoEmulator, 
) -> None:
    emulator.filter_job()
    client, http = _client(emulator)
    async with http:
        with pytest.raises(ProviderContentRejected) as info:
            await _run(client, MemoryJournal(), FakeTime())
    assert FILTERED_REASON in info.value.message and "not be charged" in info.value.message


async def test_submit_errors(emulator: VeoEmulator) -> None:
    journal = MemoryJournal()
    emulator.rate_limit(retry_after=7)
    client, http = _client(emulator)
    async with http:
        with pytest.raises(ProviderRateLimited):
            await _run(client, journal, FakeTime())
        assert journal.jobs == {}  # nothing submitted, nothing to resume
        emulator.timeout(method="POST")
        with pytest.raises(ProviderOutcomeUnknown):  # sent, answer lost: never re-sent
            await _run(client, journal, FakeTime())
        with pytest.raises(ProviderBadRequest, match="not found"):
            await client.submit("veo-2.0-generate-001", prompt="x", image=None)
        with pytest.raises(ProviderBadRequest, match="durationSeconds"):
            await client.submit(MODEL, prompt="x", image=None, duration_s=5)
    bad, http = _client(emulator, key="wrong")
    async with http:
        with pytest.raises(ProviderAuthError):
            await bad.submit(MODEL, prompt="x", image=None)


async def test_the_emulator_refuses_vertex_only_fields(emulator: VeoEmulator) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async)) as http:
        response = await http.post(
            f"{BASE_URL}/v1beta/models/{MODEL}:predictLongRunning",
            headers={"x-goog-api-key": "test-key"},
            json={"instances": [{"prompt": "x"}], "parameters": {"seed": 3}},
        )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_an_expired_file_and_a_foreign_host(emulator: VeoEmulator) -> None:
    emulator.polls_before_done = 0
    client, http = _client(emulator)
    async with http:
        name = await client.submit(MODEL, prompt="x", image=None)
        state = await client.poll(name)
        assert state.done and state.video_uri
        emulator.expire_files()
        with pytest.raises(ProviderBadRequest):
            await client.download(state.video_uri)
        with pytest.raises(ProviderProtocolError, match="unexpected host"):
            await client.download("https://evil.example/v1beta/files/abc:download?alt=media")
    assert not any(r.url.host == "evil.example" for r in emulator.calls)
