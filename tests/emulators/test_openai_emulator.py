from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from imagestudio.emulators.openai import OpenAIEmulator

KEY = "sk-proj-emulator-0123456789"
URL = "https://api.openai.com/v1/images/generations"
AUTH = {"Authorization": f"Bearer {KEY}"}
GOOD = {"model": "gpt-image-1", "prompt": "a mug", "n": 2, "size": "1536x1024", "quality": "low"}


@pytest.fixture
def emulator() -> OpenAIEmulator:
    return OpenAIEmulator(KEY)


@pytest.fixture
def http(emulator: OpenAIEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as client:
        yield client


def openai_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return dict(error)


def test_valid_request_returns_images_and_usage(http: httpx.Client) -> None:
    body = http.post(URL, json=GOOD, headers=AUTH).json()

    assert len(body["data"]) == 2
    assert body["size"] == "1536x1024" and body["quality"] == "low"
    assert body["usage"]["output_tokens_details"]["image_tokens"] == 2 * 408


def test_gpt_image_2_takes_free_sizes(http: httpx.Client) -> None:
    body = GOOD | {"model": "gpt-image-2", "size": "2048x1152"}

    assert http.post(URL, json=body, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"response_format": "b64_json"}, "response_format"),
        ({"style": "vivid"}, "style"),
        ({"quality": "hd"}, "quality"),
        ({"size": "1024x1792"}, "size"),
        ({"model": "gpt-image-2", "size": "1000x1000"}, "size"),
        ({"model": "gpt-image-2", "size": "3840x640"}, "size"),
        ({"background": "transparent", "output_format": "jpeg"}, "background"),
        ({"model": "gpt-4o"}, "model"),
    ],
)
def test_model_rules_are_invalid_value_errors(http: httpx.Client, change: dict, param: str) -> None:
    error = openai_error(http.post(URL, json=GOOD | change, headers=AUTH), 400)

    assert error["param"] == param


@pytest.mark.parametrize(
    "change",
    [
        {"sizes": "1024x1024"},
        {"n": "2"},
        {"n": 11},
        {"quality": "ultra"},
        {"output_format": "gif"},
        {"prompt": ""},
    ],
    ids=["unknown-field", "string-for-int", "n-too-big", "bad-quality", "bad-format", "empty"],
)
def test_schema_violations_are_400(http: httpx.Client, change: dict) -> None:
    error = openai_error(http.post(URL, json=GOOD | change, headers=AUTH), 400)

    assert error["type"] == "invalid_request_error"


def test_retired_dalle_is_404(http: httpx.Client) -> None:
    error = openai_error(
        http.post(URL, json={"model": "dall-e-3", "prompt": "x"}, headers=AUTH), 404
    )

    assert error["code"] == "model_not_found"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sk-proj-wrong-0000000000"}])
def test_missing_or_wrong_key_is_401_and_never_echoed_whole(
    http: httpx.Client, headers: dict
) -> None:
    error = openai_error(http.post(URL, json=GOOD, headers=headers), 401)

    assert error["code"] == "invalid_api_key"
    assert "sk-proj-wrong-0000000000" not in error["message"]


def test_reject_content_is_a_moderation_blocked_400(
    http: httpx.Client, emulator: OpenAIEmulator
) -> None:
    emulator.reject_content()

    error = openai_error(http.post(URL, json=GOOD, headers=AUTH), 400)

    assert error["code"] == "moderation_blocked"
    assert "safety system" in error["message"]


def test_nullable_fields_sent_as_null_mean_their_defaults(http: httpx.Client) -> None:
    nulls = dict.fromkeys(
        ("n", "size", "quality", "response_format", "style", "background", "output_format",
         "output_compression", "moderation", "partial_images", "stream", "user"),
    )
    body = http.post(
        URL, json={"model": "gpt-image-1", "prompt": "a mug", **nulls}, headers=AUTH
    ).json()

    assert len(body["data"]) == 1
    assert (body["size"], body["quality"], body["output_format"]) == ("1024x1024", "medium", "png")


def test_non_ascii_digits_in_size_are_invalid_not_a_crash(http: httpx.Client) -> None:
    for size in ("²x²", "١٠٢٤x١٠٢٤", "１０２４x１０２４"):
        body = GOOD | {"model": "gpt-image-2", "size": size}
        assert openai_error(http.post(URL, json=body, headers=AUTH), 400)["param"] == "size"


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_transparent_background_has_an_alpha_channel(http: httpx.Client, fmt: str) -> None:
    body = GOOD | {"n": 1, "background": "transparent", "output_format": fmt}
    answer = http.post(URL, json=body, headers=AUTH).json()
    image = Image.open(io.BytesIO(base64.b64decode(answer["data"][0]["b64_json"])))

    assert answer["background"] == "transparent"
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0
    assert image.convert("RGBA").getpixel((0, image.height - 1))[3] == 255
