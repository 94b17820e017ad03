from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from imagestudio.emulators.huggingface import HuggingFaceEmulator

KEY = "hf_emulator"
URL = "https://router.huggingface.co/hf-inference/models/black-forest-labs/FLUX.1-schnell"
AUTH = {"Authorization": f"Bearer {KEY}", "Accept": "image/png"}


@pytest.fixture
def emulator() -> HuggingFaceEmulator:
    return HuggingFaceEmulator(KEY)


@pytest.fixture
def http(emulator: HuggingFaceEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as client:
        yield client


def test_returns_raw_png_of_exactly_the_requested_size(http: httpx.Client) -> None:
    body = {"inputs": "x", "parameters": {"width": 640, "height": 352, "seed": 1}}
    response = http.post(URL, json=body, headers=AUTH)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (640, 352)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"prompt": "x"}, "prompt: Extra inputs"),
        ({"inputs": "x", "parameters": {"steps": 4}}, "parameters.steps: Extra inputs"),
        ({"inputs": "x", "parameters": {"target_size": {"width": 8}}}, "target_size"),
        ({"inputs": "x", "parameters": {"width": "1024"}}, "parameters.width:"),
        ({"inputs": "x", "parameters": {"negative_prompt": ["a"]}}, "negative_prompt:"),
        ({"inputs": ""}, "inputs:"),
    ],
)
def test_contract_violations_are_400(http: httpx.Client, body: dict, fragment: str) -> None:
    response = http.post(URL, json=body, headers=AUTH)

    assert response.status_code == 400
    assert fragment in response.json()["error"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer hf_wrong"}])
def test_missing_or_wrong_auth_is_401(http: httpx.Client, headers: dict) -> None:
    response = http.post(URL, json={"inputs": "x"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid credentials in Authorization header"}


@pytest.mark.parametrize("model", ["FLUX.1-schnell", "black-forest-labs/FLUX.1-Krea-dev"])
def test_short_or_unknown_model_ids_are_404(http: httpx.Client, model: str) -> None:
    url = f"https://router.huggingface.co/hf-inference/models/{model}"

    assert http.post(url, json={"inputs": "x"}, headers=AUTH).status_code == 404


def test_loading_knob(http: httpx.Client, emulator: HuggingFaceEmulator) -> None:
    emulator.loading(estimated_time=12.0)

    response = http.post(URL, json={"inputs": "x"}, headers=AUTH)

    assert response.status_code == 503
    assert response.json()["estimated_time"] == 12.0


def test_reject_content_is_not_a_hugging_face_behaviour(emulator: HuggingFaceEmulator) -> None:
    with pytest.raises(NotImplementedError):
        emulator.reject_content()
