from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from imagestudio.emulators.wavespeed import IDEOGRAM, QWEN, WaveSpeedEmulator

KEY = "ws-emulator"
BASE = "https://api.wavespeed.ai"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def emulator() -> WaveSpeedEmulator:
    return WaveSpeedEmulator(KEY, polls_before_done=1)


@pytest.fixture
def http(emulator: WaveSpeedEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(emulator), base_url=BASE) as client:
        yield client


def submit(http: httpx.Client, model: str, body: object, headers=AUTH) -> httpx.Response:
    return http.post(f"/api/v3/{model}", json=body, headers=headers)


def assert_rejected(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["code"] == status
    assert fragment in body["message"], body["message"]


def test_job_lifecycle_and_output_hosting(http: httpx.Client, emulator: WaveSpeedEmulator) -> None:
    created = submit(http, IDEOGRAM, {"prompt": "x", "aspect_ratio": "16:9"}).json()
    job_id = created["data"]["id"]

    first = http.get(f"/api/v3/predictions/{job_id}/result", headers=AUTH).json()
    second = http.get(f"/api/v3/predictions/{job_id}", headers=AUTH).json()  # §2.3: both paths
    media = http.get(second["data"]["outputs"][0])

    assert created["code"] == 200 and created["data"]["status"] == "created"
    assert first["data"]["status"] == "processing" and first["data"]["outputs"] == []
    assert second["data"]["status"] == "completed"
    assert second["data"]["has_nsfw_contents"] == [False]
    assert media.status_code == 200 and media.headers["content-type"] == "image/png"
    assert emulator.jobs[job_id].polls == 2


@pytest.mark.parametrize(
    ("model", "body", "fragment"),
    [
        (IDEOGRAM, {"prompt": "x", "width": 1024}, "width: Extra inputs"),
        (IDEOGRAM, {"prompt": "x", "seed": 1}, "seed: Extra inputs"),
        (IDEOGRAM, {"prompt": "x", "aspect_ratio": "21:9"}, "aspect_ratio:"),
        (IDEOGRAM, {"prompt": "x", "style": "anime"}, "style:"),
        (IDEOGRAM, {"prompt": "x", "reference_images": ["a", "b", "c", "d"]}, "reference_images"),
        (IDEOGRAM, {"prompt": "x", "enable_sync_mode": True}, "enable_sync_mode: not supported"),
        (QWEN, {"prompt": "x", "size": "1024x1024"}, "size:"),
        (QWEN, {"prompt": "x", "size": "2048*1024"}, "256..1536"),
        (QWEN, {"prompt": "x", "seed": "7"}, "seed:"),
        (QWEN, {"prompt": "x", "output_format": "gif"}, "output_format:"),
        (QWEN, {"prompt": "x", "negative_prompt": "y"}, "negative_prompt: Extra inputs"),
        (QWEN, {"size": "512*512"}, "prompt: Field required"),
        (QWEN, ["prompt", "x"], "Input should be"),
    ],
)
def test_contract_violations_are_400_envelopes(
    http: httpx.Client, model: str, body: object, fragment: str
) -> None:
    assert_rejected(submit(http, model, body), 400, fragment)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}])
def test_missing_or_wrong_auth_is_401(http: httpx.Client, headers: dict) -> None:
    assert_rejected(submit(http, QWEN, {"prompt": "x"}, headers=headers), 401, "Unauthorized")


def test_polls_need_auth_but_outputs_do_not(http: httpx.Client) -> None:
    data = submit(http, QWEN, {"prompt": "x", "enable_sync_mode": True}).json()["data"]

    assert http.get(data["urls"]["get"]).status_code == 401
    assert http.get(data["outputs"][0]).status_code == 200


def test_sync_mode_completes_in_the_submit_answer(http: httpx.Client) -> None:
    body = {"prompt": "x", "size": "512*256", "enable_sync_mode": True, "output_format": "webp"}
    data = submit(http, QWEN, body).json()["data"]

    assert data["status"] == "completed"
    assert data["outputs"][0].endswith(".webp")


def test_sync_mode_timeout_envelope(http: httpx.Client, emulator: WaveSpeedEmulator) -> None:
    emulator.sync_mode_times_out()

    body = submit(http, QWEN, {"prompt": "x", "enable_sync_mode": True}).json()

    assert "code" not in body
    assert body["data"]["code"] == 5004 and body["data"]["status"] == "processing"


def test_a_share_of_sync_submits_runs_out_of_the_sync_window() -> None:
    emulator = WaveSpeedEmulator(KEY, sync_timeout_rate=0.5, seed=3)
    with httpx.Client(transport=httpx.MockTransport(emulator), base_url=BASE) as http:
        answers = [submit(http, QWEN, {"prompt": f"x{i}", "enable_sync_mode": True}).json()
                   for i in range(40)]

    timed_out = [a for a in answers if a["data"].get("code") == 5004]
    assert 8 <= len(timed_out) <= 32  # about half, seeded
    assert all(a["data"]["status"] == "processing" for a in timed_out)
    done = {a["data"]["id"] for a in answers} - {a["data"]["id"] for a in timed_out}
    assert all(emulator.jobs[i].status == "completed" for i in done)


def test_failed_jobs_are_http_200_with_status_failed(
    http: httpx.Client, emulator: WaveSpeedEmulator
) -> None:
    emulator.jobs_fail("boom")
    job_id = submit(http, IDEOGRAM, {"prompt": "x"}).json()["data"]["id"]

    poll = http.get(f"/api/v3/predictions/{job_id}/result", headers=AUTH)

    assert poll.status_code == 200 and poll.json()["code"] == 200
    assert poll.json()["data"]["status"] == "failed"
    assert poll.json()["data"]["error"] == "boom"


def test_jobs_that_never_finish_keep_processing(
    http: httpx.Client, emulator: WaveSpeedEmulator
) -> None:
    emulator.jobs_never_finish()
    job_id = submit(http, IDEOGRAM, {"prompt": "x"}).json()["data"]["id"]

    polls = [
        http.get(f"/api/v3/predictions/{job_id}/result", headers=AUTH).json() for _ in range(5)
    ]

    assert {p["data"]["status"] for p in polls} == {"processing"}
    assert emulator.jobs[job_id].polls == 5


def test_unknown_model_and_prediction_are_404(http: httpx.Client) -> None:
    assert_rejected(submit(http, "wavespeed-ai/qwen-image", {"prompt": "x"}), 404, "not found")
    assert_rejected(http.get("/api/v3/predictions/nope/result", headers=AUTH), 404, "not found")
