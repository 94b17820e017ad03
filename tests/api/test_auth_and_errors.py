import pytest
from tests.api.conftest import Api

ASSET = "0" * 32
ROUTES = [
    ("POST", "/api/image-studio/create", {"prompt": "x"}),
    ("GET", "/api/image-studio/templates", None),
    ("GET", "/api/image-studio/templates/search?query=product", None),
    ("GET", "/api/image-studio/templates/recommend?use_case=product", None),
    ("GET", "/api/image-studio/aspect-ratios", None),
    ("GET", "/api/image-studio/providers", None),
    ("POST", "/api/image-studio/estimate-cost", {"num_images": 1}),
    ("GET", "/api/image-studio/platform-specs/instagram", None),
    ("GET", "/api/image-studio/assets", None),
    ("POST", "/api/image-studio/assets/export", {"asset_ids": [ASSET]}),
    ("GET", f"/api/image-studio/assets/{ASSET}", None),
    ("PATCH", f"/api/image-studio/assets/{ASSET}", {"favourite": True}),
    ("DELETE", f"/api/image-studio/assets/{ASSET}", None),
    ("GET", f"/api/image-studio/assets/{ASSET}/content", None),
    ("GET", "/api/image-studio/collections", None),
    ("POST", "/api/image-studio/collections", {"name": "x"}),
    ("GET", f"/api/image-studio/collections/{ASSET}", None),
    ("PATCH", f"/api/image-studio/collections/{ASSET}", {"name": "y"}),
    ("DELETE", f"/api/image-studio/collections/{ASSET}", None),
    ("POST", f"/api/image-studio/collections/{ASSET}/assets", {"asset_ids": [ASSET]}),
    ("DELETE", f"/api/image-studio/collections/{ASSET}/assets/{ASSET}", None),
    ("POST", "/v1/images/generations", {"prompt": "x"}),
    ("GET", "/v1/models", None),
]


def _error(body: dict[str, object]) -> dict[str, object]:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}
    return error


@pytest.mark.parametrize("header", [None, "Bearer isk_wrong", "Bearer ", "Basic abc", "isk_x"])
async def test_every_route_but_health_needs_a_valid_key(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    for method, path, body in ROUTES:
        response = await api.client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        if path.startswith("/v1/"):  # OpenAI's error shape there
            assert response.json()["error"]["code"] == "invalid_api_key"
        else:
            assert _error(response.json())["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    health = await api.client.get("/api/image-studio/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


async def test_revoked_key_is_refused(api: Api) -> None:
    accounts = api.app.state.api.persistence.accounts
    extra = await accounts.create_key("alice")
    headers = {"Authorization": f"Bearer {extra.key}"}
    assert (await api.client.get("/api/image-studio/assets", headers=headers)).status_code == 200
    await accounts.revoke_key(extra.key_info.id)
    refused = await api.client.get("/api/image-studio/assets", headers=headers)
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"prompt": "x", "width": 5000}, "width", "4096"),
        ({"prompt": "x", "num_variations": 11}, "num_variations", "10"),
        ({"prompt": "x" * 2001}, "prompt", "2000"),
        ({"prompt": ""}, "prompt", "empty"),
        ({}, "prompt", "required"),
        ({"prompt": "x", "colour": "red"}, "colour", "not a known field"),
        ({"prompt": "x", "quality": "ultra"}, "quality", "draft"),
        ({"prompt": "x", "template_id": "nope"}, "template_id", "nope"),
        ({"prompt": "x", "response_format": "base64"}, "response_format", "url"),
    ],
)
async def test_invalid_create_bodies_get_a_422_naming_the_field(
    api: Api, body: dict[str, object], field: str, words: str
) -> None:
    response = await api.client.post("/api/image-studio/create", json=body, headers=api.alice)
    assert response.status_code in (404, 422), response.text
    error = _error(response.json())
    assert error["details"]["field"] == field  # type: ignore[index]
    assert words in str(error["message"])
    assert "\n" not in str(error["message"])


async def test_malformed_json_is_a_422(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/create",
        content=b"{not json",
        headers={**api.alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert _error(response.json())["details"]["field"] == "body"  # type: ignore[index]


async def test_oversized_bodies_get_413_before_parsing(api: Api) -> None:
    big = {"prompt": "x", "negative_prompt": "y" * 70_000}
    response = await api.client.post("/api/image-studio/create", json=big, headers=api.alice)
    assert response.status_code == 413
    assert _error(response.json())["code"] == "payload_too_large"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 4096

    chunked = await api.client.post(
        "/api/image-studio/create",
        content=chunks(),
        headers={**api.alice, "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


async def test_unknown_routes_and_methods_use_the_error_shape(api: Api) -> None:
    missing = await api.client.get("/api/image-studio/nope", headers=api.alice)
    assert missing.status_code == 404 and _error(missing.json())["code"] == "not_found"
    wrong = await api.client.put("/api/image-studio/create", headers=api.alice)
    assert wrong.status_code == 405 and _error(wrong.json())["code"] == "method_not_allowed"
    platform = await api.client.get("/api/image-studio/platform-specs/myspace", headers=api.alice)
    assert platform.status_code == 404


async def test_all_variations_failing_is_a_502_with_per_variation_errors(api: Api) -> None:
    api.wavespeed.fail_next(400, {"code": 400, "message": "bad input"}, times=10)
    response = await api.client.post(
        "/api/image-studio/create",
        json={
            "prompt": "x",
            "provider": "wavespeed",
            "model": "qwen-image",
            "num_variations": 2,
            "width": 512,
            "height": 512,
        },
        headers=api.alice,
    )
    assert response.status_code == 502, response.text
    error = _error(response.json())
    assert error["code"] == "generation_failed"
    variations = error["details"]["variations"]  # type: ignore[index]
    assert len(variations) == 2 and all(v["code"] for v in variations)
    assert "Traceback" not in response.text


async def test_unconfigured_provider_is_a_503(api: Api) -> None:
    response = await api.client.post(
        "/api/image-studio/create",
        json={"prompt": "x", "provider": "stability", "model": "core"},
        headers=api.alice,
    )
    assert response.status_code == 503, response.text
    assert _error(response.json())["code"] == "provider_not_configured"


async def test_unexpected_errors_are_a_bare_500(api: Api) -> None:
    @api.app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    response = await api.client.get("/boom")
    assert response.status_code == 500
    assert _error(response.json()) == {
        "code": "internal_error",
        "message": "internal server error",
        "details": {},
    }
    assert "secret" not in response.text
