"""``/v1`` (OpenAI-compatible) edge cases in process: size parsing, errors, parameters."""

from __future__ import annotations

import httpx
import pytest
from openai.types.shared import ErrorObject
from tests.api.conftest import Api

URL = "/v1/images/generations"


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
