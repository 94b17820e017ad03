from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from imagestudio.emulators.gemini import GeminiEmulator

KEY = "AIza-emulator"
BASE = "https://generativelanguage.googleapis.com/v1beta/models"
GENERATE = f"{BASE}/gemini-2.5-flash-image:generateContent"
PREDICT = f"{BASE}/imagen-4.0-generate-001:predict"
AUTH = {"x-goog-api-key": KEY}
GOOD = {
    "contents": [{"role": "user", "parts": [{"text": "a cat"}]}],
    "generationConfig": {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "9:16"},
    },
}


@pytest.fixture
def emulator() -> GeminiEmulator:
    return GeminiEmulator(KEY)


@pytest.fixture
def http(emulator: GeminiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as client:
        yield client


def google_error(response: httpx.Response, status: int, name: str) -> str:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status and error["status"] == name
    return str(error["message"])


def test_valid_request_returns_inline_image_and_usage(http: httpx.Client) -> None:
    body = http.post(GENERATE, json=GOOD, headers=AUTH).json()

    parts = body["candidates"][0]["content"]["parts"]
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
    assert body["usageMetadata"]["candidatesTokensDetails"][1] == {
        "modality": "IMAGE",
        "tokenCount": 1290,
    }


def test_key_in_query_string_is_accepted(http: httpx.Client) -> None:
    assert http.post(GENERATE, params={"key": KEY}, json=GOOD).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD, "generation_config": GOOD["generationConfig"]},
        {
            **GOOD,
            "generationConfig": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspect_ratio": "1:1"},
            },
        },
        {
            **GOOD,
            "generationConfig": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspectRatio": "7:5"},
            },
        },
        {**GOOD, "generationConfig": {"responseModalities": ["PICTURE"]}},
        {**GOOD, "generationConfig": {"imageConfig": {"imageSize": "8K"}}},
        {**GOOD, "generationConfig": {"candidateCount": "1"}},
        {"contents": [{"parts": [{"text": "a", "inlineData": {"mimeType": "x", "data": "y"}}]}]},
        {"contents": []},
    ],
    ids=[
        "snake-case-config",
        "snake-case-image-config",
        "bad-ratio",
        "bad-modality",
        "bad-size",
        "string-for-int",
        "two-kinds-in-one-part",
        "no-contents",
    ],
)
def test_contract_violations_are_invalid_argument(http: httpx.Client, body: dict) -> None:
    response = http.post(GENERATE, json=body, headers=AUTH)

    assert "Invalid JSON payload" in google_error(response, 400, "INVALID_ARGUMENT")


def test_missing_key_is_permission_denied(http: httpx.Client) -> None:
    google_error(http.post(GENERATE, json=GOOD), 403, "PERMISSION_DENIED")


def test_wrong_key_is_api_key_invalid(http: httpx.Client) -> None:
    response = http.post(GENERATE, json=GOOD, headers={"x-goog-api-key": "AIza-wrong"})

    google_error(response, 400, "INVALID_ARGUMENT")
    assert response.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/gemini-1.5-pro:generateContent",
        f"{BASE}/imagen-4.0-generate-001:generateContent",
        f"{BASE}/gemini-2.5-flash-image:predict",
    ],
)
def test_unknown_model_or_method_is_not_found(http: httpx.Client, url: str) -> None:
    google_error(http.post(url, json=GOOD, headers=AUTH), 404, "NOT_FOUND")


def test_text_only_modalities_answer_without_an_image(http: httpx.Client) -> None:
    body = {**GOOD, "generationConfig": {"responseModalities": ["TEXT"]}}

    parts = http.post(GENERATE, json=body, headers=AUTH).json()["candidates"][0]["content"]["parts"]

    assert all("inlineData" not in part for part in parts)


def test_predict_returns_sample_count_images(http: httpx.Client) -> None:
    body = {
        "instances": [{"prompt": "x"}],
        "parameters": {"sampleCount": 3, "aspectRatio": "3:4", "personGeneration": "allow_adult"},
    }

    predictions = http.post(PREDICT, json=body, headers=AUTH).json()["predictions"]

    assert len(predictions) == 3


@pytest.mark.parametrize(
    "parameters",
    [
        {"sampleCount": 5},
        {"negativePrompt": "x"},
        {"seed": 1},
        {"aspectRatio": "21:9"},
        {"personGeneration": "ALLOW_ALL"},
        {"safetySetting": "BLOCK_NONE"},
    ],
)
def test_predict_refuses_out_of_contract_parameters(http: httpx.Client, parameters: dict) -> None:
    body = {"instances": [{"prompt": "x"}], "parameters": parameters}

    google_error(http.post(PREDICT, json=body, headers=AUTH), 400, "INVALID_ARGUMENT")
