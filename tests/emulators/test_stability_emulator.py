from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from imagestudio.emulators.stability import SIZES_1MP, StabilityEmulator

KEY = "sk-emulator"
URL = "https://api.stability.ai/v2beta/stable-image/generate"
AUTH = {"authorization": f"Bearer {KEY}", "accept": "image/*"}


@pytest.fixture
def emulator() -> StabilityEmulator:
    return StabilityEmulator(KEY)


@pytest.fixture
def http(emulator: StabilityEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as client:
        yield client


def post(http: httpx.Client, endpoint: str, fields: dict[str, str], headers=AUTH) -> httpx.Response:
    return http.post(f"{URL}/{endpoint}", data=fields, files={"none": b""}, headers=headers)


def assert_bad_request(response: httpx.Response, fragment: str) -> None:
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"id", "name", "errors"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert body["name"] == "bad_request"
    assert any(fragment in error for error in body["errors"]), body["errors"]


@pytest.mark.parametrize("ratio", sorted(SIZES_1MP))
def test_valid_request_returns_png_bytes_of_the_ratio_size(http: httpx.Client, ratio: str) -> None:
    response = post(http, "ultra", {"prompt": "a fox", "aspect_ratio": ratio, "seed": "5"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["finish-reason"] == "SUCCESS"
    assert response.headers["seed"] == "5"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == SIZES_1MP[ratio]


def test_output_is_deterministic_per_prompt_seed_and_size(http: httpx.Client) -> None:
    first = post(http, "core", {"prompt": "a fox", "seed": "9"}).content

    assert post(http, "core", {"prompt": "a fox", "seed": "9"}).content == first
    assert post(http, "core", {"prompt": "a fox", "seed": "10"}).content != first


@pytest.mark.parametrize(
    ("endpoint", "fields", "fragment"),
    [
        ("ultra", {"prompt": "x", "aspectratio": "16:9"}, "aspectratio: Extra inputs"),
        ("ultra", {"prompt": "x", "model": "sd3.5-large"}, "model: Extra inputs"),
        ("ultra", {"prompt": "x", "cfg_scale": "4"}, "cfg_scale: Extra inputs"),
        ("core", {"prompt": "x", "seed": "abc"}, "seed:"),
        ("core", {"prompt": "x", "seed": "4294967295"}, "seed:"),
        ("core", {"prompt": "x", "aspect_ratio": "4:3"}, "aspect_ratio:"),
        ("core", {"prompt": "x", "style_preset": "watercolor"}, "style_preset:"),
        ("core", {"prompt": "x", "output_format": "gif"}, "output_format:"),
        ("core", {"prompt": ""}, "prompt:"),
        ("core", {"negative_prompt": "x"}, "prompt: Field required"),
        ("sd3", {"prompt": "x", "cfg_scale": "11"}, "cfg_scale:"),
        ("sd3", {"prompt": "x", "model": "sd3.5-huge"}, "model:"),
        ("sd3", {"prompt": "x", "mode": "image-to-image"}, "image: is required"),
    ],
)
def test_contract_violations_are_400_with_field_messages(
    http: httpx.Client, endpoint: str, fields: dict[str, str], fragment: str
) -> None:
    assert_bad_request(post(http, endpoint, fields), fragment)


def test_ultra_image_needs_strength(http: httpx.Client) -> None:
    response = http.post(
        f"{URL}/ultra", data={"prompt": "x"}, files={"image": ("a.png", b"png")}, headers=AUTH
    )

    assert_bad_request(response, "strength: is required")


def test_text_field_sent_as_file_is_refused(http: httpx.Client) -> None:
    response = http.post(f"{URL}/core", files={"prompt": ("p.txt", b"x")}, headers=AUTH)

    assert_bad_request(response, "prompt: must be a form field")


def test_json_body_is_refused(http: httpx.Client) -> None:
    response = http.post(f"{URL}/core", json={"prompt": "x"}, headers=AUTH)

    assert_bad_request(response, "content-type: must be multipart/form-data")


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer sk-wrong"}, {"authorization": KEY}]
)
def test_missing_or_wrong_auth_is_401_verbatim(http: httpx.Client, headers: dict) -> None:
    response = post(http, "core", {"prompt": "x"}, headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["name"] == "unauthorized"
    assert body["errors"] == ["authorization: invalid or missing header value"]


def test_parameters_are_validated_before_auth(http: httpx.Client) -> None:
    response = post(http, "core", {"prompt": "x", "seed": "-1"}, headers={})

    assert response.status_code == 400


def test_json_accept_returns_base64_without_finish_headers(http: httpx.Client) -> None:
    headers = AUTH | {"accept": "application/json"}
    response = post(http, "core", {"prompt": "x", "seed": "3"}, headers=headers)

    body = response.json()
    assert response.headers["content-type"] == "application/json; type=image/png"
    assert "finish-reason" not in response.headers
    assert body["finish_reason"] == "SUCCESS" and body["seed"] == 3
    assert base64.b64decode(body["image"]).startswith(b"\x89PNG")


def test_knobs_produce_the_documented_shapes(
    http: httpx.Client, emulator: StabilityEmulator
) -> None:
    emulator.reject_content()
    emulator.filter_content()

    rejected = post(http, "core", {"prompt": "x"})
    filtered = post(http, "core", {"prompt": "x"})

    assert rejected.status_code == 403
    assert rejected.json()["name"] == "content_moderation"
    assert filtered.headers["finish-reason"] == "CONTENT_FILTERED"


def test_unknown_endpoint_is_404(http: httpx.Client) -> None:
    response = post(http, "sdxl", {"prompt": "x"})

    assert response.status_code == 404
    assert response.json()["name"] == "not_found"
