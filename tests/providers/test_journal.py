"""The unit journal seen from a vendor client: a paid send is stored first (or refused),
WaveSpeed's prediction id is stored before polling, and a stored id is polled instead of
submitting again."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from tests.providers.test_wavespeed import IDEOGRAM_REQUEST, FakeClock, make, posts

from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.errors import StudioError
from imagestudio.providers.errors import ProviderUnavailable
from imagestudio.providers.journal import journal_scope, unit_scope


class Refused(StudioError):
    code = "refused"


@dataclass
class Journal:
    resume: dict[tuple[int, str], str] = field(default_factory=dict)
    refuse: bool = False
    log: list[tuple[str, int, str]] = field(default_factory=list)

    async def sending(self, unit: int, provider: str) -> None:
        if self.refuse:
            raise Refused("not again")
        self.log.append(("sent", unit, provider))

    async def unbilled(self, unit: int, provider: str) -> None:
        self.log.append(("unbilled", unit, provider))

    async def vendor_job(self, unit: int, provider: str, job_id: str) -> None:
        self.log.append(("job", unit, job_id))

    def resume_job(self, unit: int, provider: str) -> str | None:
        return self.resume.pop((unit, provider), None)

    def refusal(self, unit: int) -> Exception | None:
        return None


async def test_the_send_is_journaled_then_a_stored_prediction_is_polled_not_resubmitted(
) -> None:
    emulator = WaveSpeedEmulator("ws-test-key", polls_before_done=1)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        provider = make(client, FakeClock())
        journal = Journal()
        with journal_scope(journal), unit_scope(3):
            first = await provider.generate(IDEOGRAM_REQUEST)
        (job_id,) = emulator.jobs
        assert journal.log == [("sent", 3, "wavespeed"), ("job", 3, job_id)]

        resumed = Journal(resume={(3, "wavespeed"): job_id})
        with journal_scope(resumed), unit_scope(3):
            again = await provider.generate(IDEOGRAM_REQUEST)

    assert len(posts(emulator)) == 1 and resumed.log == []  # polled and downloaded only
    assert again.request_id == job_id == first.request_id
    assert again.images[0].data == first.images[0].data


async def test_a_refused_send_never_reaches_the_vendor() -> None:
    emulator = WaveSpeedEmulator("ws-test-key", polls_before_done=0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        provider = make(client, FakeClock())
        with journal_scope(Journal(refuse=True)), unit_scope(0), pytest.raises(Refused):
            await provider.generate(IDEOGRAM_REQUEST)
        assert emulator.requests("POST") == []
        await provider.generate(IDEOGRAM_REQUEST)  # no journal outside a job: sent as ever
    assert len(emulator.requests("POST")) == 1


async def test_a_send_answered_with_an_error_status_is_unmarked_a_billed_one_stays() -> None:
    emulator = WaveSpeedEmulator("ws-test-key", polls_before_done=0)
    emulator.fail_next(503, method="POST")
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        provider = make(client, FakeClock())
        journal = Journal()
        with journal_scope(journal), unit_scope(1):
            with pytest.raises(ProviderUnavailable):
                await provider.generate(IDEOGRAM_REQUEST)  # answered 503: not billed
            await provider.generate(IDEOGRAM_REQUEST)
    (job_id,) = emulator.jobs
    assert journal.log == [("sent", 1, "wavespeed"), ("unbilled", 1, "wavespeed"),
                           ("sent", 1, "wavespeed"), ("job", 1, job_id)]
    assert len(emulator.paid) == 1
