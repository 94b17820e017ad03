"""``/v1`` (OpenAI-compatible) edge cases in process: size parsing, errors, parameters."""

from __future__ import annotations

import base64
import io
import json

import httpx
import pytest
from openai.types import Model
from openai.types.shared import ErrorObject
from PIL import Image
from tests.api import vendors as vendor_app
from tests.api.conftest import Api
from tests.api.vendors import Vendors

from imagestudio.api.deps import api_state
from imagestudio.api.openai_params import WARNING_HEADER
from imagestudio.emulators.openai import OpenAIEmulator

URL = "/v1/images/generations"
vendors = vendor_app.vendors  # the fixture


@pytest.mark.parametrize("size", ["²x²", "١٠٢٤x١٠٢٤", "１０２４x１０２４", "1024x1024 ", "+64x64"])
async def test_size_accepts_ascii_digits_only(api: Api, size: str) -> None:
    response = await api.client.post(
        URL, json={"model": "local", "prompt": "x", "size": size}, headers=api.alice
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "size"


def openai_error(response: object, status: int) -> ErrorObject:
    """The body is exactly OpenAI's ``{"error": {message, type, param, code}}``."""
    assert isinstance(response, httpx.Response)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return ErrorObject.model_validate(body["error"])


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"prompt": "x", "n": 11}, "n", "invalid_value"),
        ({"prompt": "x", "n": "2"}, "n", "invalid_type"),
        ({"n": 1}, "prompt", "missing_required_parameter"),
        ({"prompt": "x", "sizes": "1024x1024"}, "sizes", "unknown_parameter"),
        ({"prompt": "x", "size": "99999x2"}, "size", "invalid_value"),
        ({"prompt": "x", "model": "no-such-model"}, "model", "model_not_found"),
        ({"prompt": "x", "quality": "ultra"}, "quality", "invalid_value"),
    ],
)
async def test_validation_errors_are_openai_400s(
    api: Api, body: dict[str, object], param: str, code: str
) -> None:
    response = await api.client.post(URL, json={"model": "local", **body}, headers=api.alice)

    error = openai_error(response, 400)
    assert (error.type, error.param, error.code) == ("invalid_request_error", param, code)
    assert param in error.message


async def test_malformed_json_is_an_openai_400(api: Api) -> None:
    response = await api.client.post(
        URL, content=b'{"prompt": ', headers={**api.alice, "content-type": "application/json"}
    )

    error = openai_error(response, 400)
    assert error.type == "invalid_request_error" and error.param is None


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer isk_wrong"}])
async def test_auth_errors_are_openai_401s(api: Api, headers: dict[str, str]) -> None:
    for response in (
        await api.client.post(URL, json={"prompt": "x"}, headers=headers),
        await api.client.get("/v1/models", headers=headers),
    ):
        error = openai_error(response, 401)
        assert (error.type, error.code) == ("invalid_request_error", "invalid_api_key")


async def test_unknown_routes_and_methods_under_v1_speak_openai(api: Api) -> None:
    error = openai_error(await api.client.get("/v1/nothing-here", headers=api.alice), 404)
    assert error.message == "Invalid URL (GET /v1/nothing-here)"
    openai_error(await api.client.delete(URL, headers=api.alice), 405)


async def test_oversized_body_is_an_openai_413(api: Api) -> None:
    response = await api.client.post(
        URL, json={"prompt": "x" * 70_000}, headers=api.alice
    )

    assert openai_error(response, 413).type == "invalid_request_error"


async def test_empty_balance_is_openai_insufficient_quota(api: Api) -> None:
    carol = await api.app.state.api.persistence.accounts.create_user("carol", plan="pro")
    headers = {"Authorization": f"Bearer {carol.key}"}
    response = await api.client.post(
        URL, json={"model": "stability/core", "prompt": "x"}, headers=headers
    )

    error = openai_error(response, 429)
    assert (error.type, error.code) == ("insufficient_quota", "insufficient_quota")
    assert response.headers["x-should-retry"] == "false"


async def test_studio_routes_keep_the_studio_error_shape(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/create", json={"prompt": "x", "num_variations": 11}, headers=api.alice
    )

    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "details"}


# ---- parameters (item 14) and vendor pass-through (item 15) -------------------------


def _sent(emulator: OpenAIEmulator) -> dict[str, object]:
    body: dict[str, object] = json.loads(emulator.calls[-1].content)
    return body


async def test_every_documented_parameter_is_accepted(vendors: Vendors) -> None:
    response = await vendors.generate(
        prompt="a mug", model="gpt-image-1", n=1, size="1024x1024", quality="high",
        response_format="b64_json", output_format="webp", output_compression=80,
        background="opaque", moderation="low", style="vivid", stream=False, partial_images=2,
        user="u-1", safety_identifier="hash-1", complexity="high", frame_count=4,
        frame_duration_ms=100, svg={"model": "x", "reasoning": {"effort": "low"}},
    )

    assert response.status_code == 200, response.text
    warned = response.headers.get_list(WARNING_HEADER)
    for ignored in ("style", "complexity", "partial_images", "frame_count", "frame_duration_ms",
                    "svg"):
        assert any(w.startswith(f"{ignored} ignored") for w in warned), (ignored, warned)
    sent = _sent(vendors.openai)
    assert sent["moderation"] == "low" and sent["output_compression"] == 80
    assert sent["user"] == "hash-1"  # safety_identifier wins over user, as at OpenAI
    assert sent["background"] == "opaque" and sent["quality"] == "high"
    body = response.json()
    assert body["safety_identifier"] == "hash-1" and body["output_format"] == "webp"


async def test_null_on_every_nullable_field_means_the_default(vendors: Vendors) -> None:
    nullable = ("model", "n", "size", "quality", "response_format", "output_format",
                "output_compression", "background", "moderation", "style", "stream",
                "partial_images", "user", "safety_identifier", "complexity", "frame_count",
                "frame_duration_ms", "svg")
    response = await vendors.generate(prompt="a mug", **dict.fromkeys(nullable))

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 1
    assert response.headers.get_list(WARNING_HEADER) == []


@pytest.mark.parametrize(
    ("change", "param"),
    [({"stream": True}, "stream"), ({"output_format": "gif"}, "output_format"),
     ({"output_format": "svg"}, "output_format"),
     ({"background": "transparent", "output_format": "jpeg"}, "background")],
)
async def test_documented_refusals_name_the_parameter(
    vendors: Vendors, change: dict[str, object], param: str
) -> None:
    response = await vendors.generate(prompt="a mug", model="gpt-image-1", **change)

    assert openai_error(response, 400).param == param
    assert vendors.openai.calls == []


@pytest.mark.parametrize("fmt", ["png", "webp"])
async def test_transparent_background_reaches_gpt_image_and_keeps_its_alpha(
    vendors: Vendors, fmt: str
) -> None:
    response = await vendors.generate(
        prompt="a sticker", model="gpt-image-1", size="1024x1024", background="transparent",
        output_format=fmt, user="end-user-7",
    )

    assert response.status_code == 200, response.text
    assert _sent(vendors.openai)["background"] == "transparent"
    assert _sent(vendors.openai)["user"] == "end-user-7"
    body = response.json()
    assert body["background"] == "transparent"
    image = Image.open(io.BytesIO(base64.b64decode(body["data"][0]["b64_json"])))
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0


async def test_options_go_only_to_models_that_declare_them(vendors: Vendors) -> None:
    refused = await vendors.generate(prompt="x", model="stability/core", background="transparent")
    assert openai_error(refused, 400).param == "background"

    response = await vendors.generate(
        prompt="a mug", model="stability/core", user="u-2", moderation="low",
        background="opaque", output_format="jpeg", output_compression=50,
    )

    assert response.status_code == 200, response.text
    form = vendors.stability.calls[-1].content
    for name in (b"user", b"moderation", b"background", b"output_compression"):
        assert b'name="' + name + b'"' not in form
    warned = response.headers.get_list(WARNING_HEADER)
    assert "moderation ignored: stability/core does not take it" in warned
    assert "output_compression ignored: stability/core does not take it" in warned


async def test_wavespeed_never_receives_a_seed_beyond_its_range(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/create",
        json={"prompt": "a kite", "model": "wavespeed/qwen-image", "seed": 2_147_483_647,
              "num_variations": 2, "width": 512, "height": 512},
        headers=api.alice,
    )

    assert response.status_code == 200, response.text
    submits = [json.loads(c.content) for c in api.wavespeed.calls if c.method == "POST"]
    assert sorted(s["seed"] for s in submits) == [0, 2_147_483_647]
    assert sorted(v["seed"] for v in response.json()["variations"]) == [0, 2_147_483_647]


async def test_imagen_4_is_refused_on_the_gemini_developer_api(api: Api) -> None:
    response = await api.client.post(
        URL, json={"model": "gemini/imagen-4", "prompt": "a robot"}, headers=api.alice
    )

    error = openai_error(response, 400)
    assert error.param == "model" and "gemini/gemini-3-pro-image" in error.message


# ---- sizes outside OpenAI's enum and GET /v1/models/{id} (item 16) ---------------------


@pytest.mark.parametrize(
    ("size", "vendor_size"),
    [("256x256", "1024x1024"), ("999x999", "1024x1024"), ("1200x628", "1536x1024")],
)
async def test_a_gpt_image_model_gets_its_own_size_and_the_image_is_exactly_size(
    vendors: Vendors, size: str, vendor_size: str
) -> None:
    response = await vendors.generate(prompt="a mug", model="gpt-image-1", size=size)

    assert response.status_code == 200, response.text
    assert _sent(vendors.openai)["size"] == vendor_size  # only OpenAI's enum is sent
    body = response.json()
    assert body["size"] == size
    image = Image.open(io.BytesIO(base64.b64decode(body["data"][0]["b64_json"])))
    assert f"{image.width}x{image.height}" == size


async def test_a_size_the_model_cannot_reach_says_so_in_a_warning(vendors: Vendors) -> None:
    response = await vendors.generate(prompt="a banner", model="gpt-image-1", size="4000x1000")

    assert response.status_code == 200, response.text
    warned = " ".join(response.headers.get_list(WARNING_HEADER))
    assert "openai/gpt-image-1 cannot generate 4000x1000" in warned and "cropped" in warned


async def test_models_retrieve_answers_every_listed_id(api: Api) -> None:
    listed = (await api.client.get("/v1/models", headers=api.alice)).json()["data"]
    for entry in listed:
        response = await api.client.get(f"/v1/models/{entry['id']}", headers=api.alice)
        assert response.status_code == 200, entry
        assert Model.model_validate(response.json()).id == entry["id"]
    retired = (await api.client.get("/v1/models/gemini/imagen-4", headers=api.alice)).json()
    assert retired["available"] is False
    missing = await api.client.get("/v1/models/no-such-model", headers=api.alice)
    error = openai_error(missing, 404)
    assert (error.param, error.code) == ("model", "model_not_found")


async def test_a_safety_refusal_is_openais_moderation_blocked_400(vendors: Vendors) -> None:
    vendors.openai.reject_content()

    response = await vendors.generate(prompt="a mug", model="gpt-image-1")

    error = openai_error(response, 400)
    assert (error.type, error.code) == ("invalid_request_error", "moderation_blocked")


async def test_a_vendor_failure_is_an_openai_server_error(vendors: Vendors) -> None:
    vendors.openai.fail_next(500, times=5)

    response = await vendors.generate(prompt="a mug", model="gpt-image-1")

    assert response.status_code >= 500
    error = openai_error(response, response.status_code)
    assert error.type == "server_error" and error.param is None


async def test_an_unexpected_crash_under_v1_is_an_openai_500(api: Api) -> None:
    def broken() -> None:
        raise RuntimeError("injected fault")

    api.app.dependency_overrides[api_state] = broken
    try:
        response = await api.client.get("/v1/models", headers=api.alice)
        studio = await api.client.get("/api/image-studio/templates", headers=api.alice)
    finally:
        api.app.dependency_overrides.clear()

    error = openai_error(response, 500)
    assert error.type == "server_error" and "injected" not in error.message
    assert studio.status_code == 500 and set(studio.json()["error"]) == {
        "code", "message", "details"
    }


@pytest.mark.parametrize("field", ["user", "safety_identifier", "model", "size"])
async def test_unstorable_text_in_an_openai_field_is_a_400_naming_it(
    api: Api, field: str
) -> None:
    response = await api.client.post(
        URL, json={"prompt": "x", "model": "local", field: "a\u0000b"}, headers=api.alice
    )

    assert openai_error(response, 400).param == field
