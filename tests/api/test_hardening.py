"""Issue 11's API defects, each reproduced as it was reported (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import re

import pytest
from tests.api.conftest import Api


def _error(response_json: object) -> dict[str, object]:
    assert isinstance(response_json, dict)
    error = response_json["error"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize("signature", ["%C3%A9AAAAAAAAA", "%E2%82%AC" * 8, "%F0%9F%98%80AAAAAAAA"])
async def test_a_non_ascii_signature_is_a_403_not_a_500(api: Api, signature: str) -> None:
    response = await api.client.get(
        f"/api/image-studio/files/abc.png?expires=38&signature={signature}"
    )
    assert response.status_code == 403, response.text
    assert _error(response.json())["code"] == "forbidden"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/image-studio/ledger?before=9223372036854775808", "before"),
        ("/api/image-studio/ledger?limit=99999999999999999999", "limit"),
        ("/api/image-studio/files/abc.png?expires=9223372036854775808&signature=AAAAAAAAAA",
         "expires"),
        ("/api/image-studio/assets?limit=9223372036854775808", "limit"),
    ],
)
async def test_every_integer_query_parameter_is_bounded(api: Api, path: str, field: str) -> None:
    response = await api.client.get(path, headers=api.alice)
    assert response.status_code == 422, response.text
    assert _error(response.json())["details"]["field"] == field  # type: ignore[index]


def _files(api: Api) -> list[str]:
    root = api.data_dir
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and "assets" in p.parts)


QWEN = {"provider": "wavespeed", "model": "qwen-image", "width": 512, "height": 512}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "run \u0000 x", "num_variations": 10}, "prompt"),
        ({"prompt": "ok", "negative_prompt": "a\u0000b"}, "negative_prompt"),
        ({"prompt": "ok", "overlay_text": "\u0000"}, "overlay_text"),
        ({"prompt": "ok", "style_preset": "x\u0000"}, "style_preset"),
    ],
)
async def test_unstorable_text_is_refused_before_any_hold_or_vendor_call(
    api: Api, body: dict[str, object], field: str
) -> None:
    before = (await api.client.get("/api/image-studio/ledger", headers=api.alice)).json()
    for path in ("/api/image-studio/create", "/api/image-studio/preflight"):
        response = await api.client.post(path, json={**QWEN, **body}, headers=api.alice)
        assert response.status_code == 422, response.text
        error = _error(response.json())
        assert error["details"]["field"] == field  # type: ignore[index]
        assert "U+0000" in str(error["message"])
    after = (await api.client.get("/api/image-studio/ledger", headers=api.alice)).json()
    assert after == before and api.wavespeed.calls == [] and _files(api) == []


async def test_the_openai_route_refuses_nul_before_any_vendor_call(api: Api) -> None:
    body = {"prompt": "run \u0000 x", "model": "wavespeed/qwen-image", "size": "512x512", "n": 3}
    response = await api.client.post("/v1/images/generations", json=body, headers=api.alice)
    assert 400 <= response.status_code < 500, response.text
    assert api.wavespeed.calls == [] and _files(api) == []


async def test_unstorable_text_in_library_fields_and_queries_is_a_422(api: Api) -> None:
    alice = api.alice
    client = api.client
    made = await api.create(alice)
    asset_id = made["variations"][0]["asset_id"]  # type: ignore[index]
    collection = await client.post("/api/image-studio/collections", json={"name": "c"},
                                   headers=alice)
    collection_id = collection.json()["id"]
    cases = [
        (client.post("/api/image-studio/collections", json={"name": "a\u0000b"},
                     headers=alice), "name"),
        (client.patch(f"/api/image-studio/collections/{collection_id}",
                      json={"description": "\u0000"}, headers=alice), "description"),
        (client.patch(f"/api/image-studio/assets/{asset_id}", json={"title": "t\u0000"},
                      headers=alice), "title"),
        (client.patch(f"/api/image-studio/assets/{asset_id}", json={"tags": ["ok", "b\u0000"]},
                      headers=alice), "tags.1"),
        (client.get("/api/image-studio/assets?q=a%00b", headers=alice), "q"),
        (client.get("/api/image-studio/assets?model=a%00b", headers=alice), "model"),
        (client.get("/api/image-studio/assets?cursor=%00", headers=alice), "cursor"),
        (client.get("/api/image-studio/assets/a%00b", headers=alice), "asset_id"),
        (client.get(f"/api/image-studio/collections/{collection_id}%00", headers=alice),
         "collection_id"),
        (client.post(f"/api/image-studio/collections/{collection_id}/assets",
                     json={"asset_ids": ["a\u0000"]}, headers=alice), "asset_ids"),
        (client.post("/api/image-studio/assets/export", json={"asset_ids": ["\u0000"]},
                     headers=alice), "asset_ids"),
        (client.get("/api/image-studio/templates/search?query=a%00", headers=alice), "query"),
        (client.get("/api/image-studio/ui/generations/x%00", headers=alice), "generation_id"),
        (client.get("/api/image-studio/files/a%00.png?expires=1&signature=AAAAAAAAAA"), "name"),
    ]
    for call, field in cases:
        response = await call
        assert response.status_code == 422, (field, response.text)
        assert _error(response.json())["details"]["field"] == field, response.text


async def test_an_upload_with_an_unstorable_title_writes_nothing(api: Api) -> None:
    from tests.api.conftest import png_bytes

    files_before = _files(api)
    for form, field in (({"title": "a\u0000b"}, "title"), ({"tags": "ok,b\u0000"}, "tags")):
        response = await api.client.post(
            "/api/image-studio/assets", headers=api.alice, data=form,
            files={"file": ("x.png", png_bytes(), "image/png")},
        )
        assert response.status_code == 422, response.text
        assert _error(response.json())["details"]["field"] == field
    assert _files(api) == files_before


@pytest.mark.parametrize(
    ("host", "public_url", "allowed", "origin"),
    [
        ("evil.example", None, None, ""),
        ("evil.example:8000", None, None, ""),
        ("127.0.0.1:8000", None, None, "http://127.0.0.1:8000"),
        ("[::1]:9000", None, None, "http://[::1]:9000"),
        ("localhost.evil.example", None, None, ""),
        ("studio.example:443", None, "studio.example", "http://studio.example:443"),
        ("evil.example", "https://images.example.com/", None, "https://images.example.com"),
    ],
)
async def test_the_host_header_is_never_reflected_in_signed_urls(
    api: Api, host: str, public_url: str | None, allowed: str | None, origin: str
) -> None:
    server = api.app.state.api.server
    server.public_url = public_url
    if allowed is not None:
        server.allowed_hosts = allowed
    headers = {**api.alice, "Host": host}
    made = await api.client.post(
        "/api/image-studio/create", headers=headers,
        json={"prompt": "a kite", "provider": "local", "width": 96, "height": 64},
    )
    assert made.status_code == 200, made.text
    url = made.json()["variations"][0]["url"]
    assert url.startswith(origin + "/api/image-studio/files/"), url
    listed = await api.client.get("/api/image-studio/assets", headers=headers)
    assert listed.json()["items"][0]["url"].startswith(origin + "/api/image-studio/files/")
    assert "evil" not in url


@pytest.mark.parametrize("path", ["/api/image-studio/create", "/api/image-studio/collections",
                                  "/api/image-studio/assets"])
async def test_an_oversized_chunked_body_is_a_413_without_an_error_log(
    api: Api, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")

    async def chunks():  # type: ignore[no-untyped-def]
        yield head
        for _ in range(120):
            yield b"x" * 4096

    caplog.set_level(logging.INFO)
    kind = "multipart/form-data; boundary=b" if path.endswith("assets") else "application/json"
    response = await api.client.post(
        path, content=chunks(), headers={**api.alice, "Content-Type": kind}
    )
    assert response.status_code == 413
    assert _error(response.json())["code"] == "payload_too_large"
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert noisy == [], [r.getMessage() for r in noisy]


async def test_ledger_ids_are_opaque_and_per_user(api: Api) -> None:
    pages = {}
    for name, headers in (("alice", api.alice), ("bob", api.bob)):
        await api.create(headers, **QWEN)  # a grant, a hold and a capture
        page = await api.client.get("/api/image-studio/ledger?limit=1", headers=headers)
        pages[name] = page.json()
    rows = set(range(1, 50))
    for page in pages.values():
        (entry,) = page["entries"]
        assert re.fullmatch(r"[0-9a-f]{16}", entry["id"]) and int(entry["id"], 16) not in rows
    # alice's cursor means nothing in bob's ledger, and a row number is no cursor at all
    alice_next = pages["alice"]["next_before"]
    for before, headers in ((alice_next, api.alice), ("1", api.alice), ("5", api.bob)):
        response = await api.client.get(f"/api/image-studio/ledger?before={before}",
                                        headers=headers)
        if before == alice_next:
            assert response.status_code == 200, response.text
            assert len(response.json()["entries"]) == 2
        else:
            assert response.status_code == 422
            assert _error(response.json())["details"]["field"] == "before"  # type: ignore[index]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/image-studio/create", {"prompt": "x", "num_variations": "3"},
         "num_variations"),
        ("POST", "/api/image-studio/create", {"prompt": "x", "num_variations": True},
         "num_variations"),
        ("POST", "/api/image-studio/preflight", {"prompt": "x", "seed": 1.5}, "seed"),
        ("POST", "/api/image-studio/preflight", {"prompt": "x", "enhance_prompt": 1},
         "enhance_prompt"),
        ("POST", "/api/image-studio/estimate-cost", {"num_images": "2"}, "num_images"),
        ("POST", "/api/image-studio/collections", {"name": 5}, "name"),
        ("PATCH", "/api/image-studio/assets/ASSET", {"favourite": 0}, "favourite"),
        ("PATCH", "/api/image-studio/assets/ASSET", {"title": 12}, "title"),
    ],
)
async def test_public_schemas_do_not_coerce_types(
    api: Api, method: str, path: str, body: dict[str, object], field: str
) -> None:
    if "ASSET" in path:
        made = await api.create(api.alice)
        path = path.replace("ASSET", str(made["variations"][0]["asset_id"]))  # type: ignore[index]
    response = await api.client.request(method, path, json=body, headers=api.alice)
    assert response.status_code == 422, response.text
    assert _error(response.json())["details"]["field"] == field  # type: ignore[index]


async def test_query_dates_are_iso_8601_only(api: Api) -> None:
    for value in ("0.5", "1700000000", "1e9"):
        response = await api.client.get(f"/api/image-studio/assets?created_before={value}",
                                        headers=api.alice)
        assert response.status_code == 422, response.text
        assert _error(response.json())["details"]["field"] == "created_before"  # type: ignore[index]
    ok = await api.client.get("/api/image-studio/assets?created_before=2030-01-01&favourite=true",
                              headers=api.alice)
    assert ok.status_code == 200, ok.text
    assert (await api.create(api.alice, focal_point=[0.2, 0.8]))["success"] is True


async def test_malformed_bodies_get_one_documented_answer_on_every_route(api: Api) -> None:
    schema = api.app.openapi()
    assert "HTTPValidationError" not in str(schema)
    with_body = [
        (path, method) for path, ops in schema["paths"].items()
        for method, op in ops.items() if "requestBody" in op
    ]
    assert len(with_body) >= 8
    for path, method in with_body:
        op = schema["paths"][path][method]
        if path.startswith("/v1/"):  # OpenAI's statuses: tests/api/test_openai_compat.py
            assert "422" not in op["responses"], path
            continue
        documented = op["responses"]["422"]["content"]["application/json"]["schema"]
        assert documented == {"$ref": "#/components/schemas/ErrorResponse"}, path
        concrete = path.replace("{collection_id}", "c").replace("{asset_id}", "a")
        kinds = op["requestBody"]["content"]
        kind = "multipart/form-data; boundary=z" if "multipart/form-data" in kinds else (
            "application/json")
        response = await api.client.request(
            method.upper(), concrete, content=b"{not json", headers={**api.alice,
                                                                    "Content-Type": kind}
        )
        assert response.status_code == 422, (path, response.text)
        assert _error(response.json())["details"]["field"] == "body", (path, response.text)


async def test_file_routes_are_documented_as_images_and_videos(api: Api) -> None:
    paths = api.app.openapi()["paths"]
    for path in ("/api/image-studio/files/{name}", "/api/image-studio/assets/{asset_id}/content"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"image/png", "image/jpeg", "image/webp", "image/gif",
                                "video/mp4"}, path


async def test_options_answers_allow_instead_of_405(api: Api) -> None:
    for path, allow in (
        ("/api/image-studio/create", "POST, OPTIONS"),
        ("/api/image-studio/assets/abc", "GET, PATCH, DELETE, OPTIONS"),
        ("/api/image-studio/collections", "GET, POST, OPTIONS"),
        ("/api/image-studio/assets/export", "POST, OPTIONS"),  # not an asset id
    ):
        response = await api.client.options(path, headers={"Origin": "https://evil.example"})
        assert response.status_code == 204 and response.headers["allow"] == allow, path
        assert "access-control-allow-origin" not in response.headers
    missing = await api.client.options("/api/image-studio/nope")
    assert missing.status_code == 404 and _error(missing.json())["code"] == "not_found"


async def test_the_documented_max_length_counts_the_string_as_sent(api: Api) -> None:
    """Whitespace is stripped, but a name longer than the schema's maxLength as sent is
    refused (found by schemathesis: 100 characters plus a space were accepted)."""
    url = "/api/image-studio/collections"
    too_long = await api.client.post(url, json={"name": " " + "a" * 100}, headers=api.alice)
    assert too_long.status_code == 422
    assert _error(too_long.json())["message"] == "name is 101 characters; the limit is 100"
    trimmed = await api.client.post(url, json={"name": "  Summer  "}, headers=api.alice)
    assert trimmed.status_code == 201 and trimmed.json()["name"] == "Summer"


@pytest.mark.parametrize("path", ["/api/image-studio/optimize", "/api/image-studio/upscale",
                                  "/api/image-studio/edit", "/api/image-studio/transform"])
async def test_unstorable_text_in_every_operation_is_a_422(api: Api, path: str) -> None:
    """Found by the in-suite schemathesis run on PostgreSQL: a NUL in an optimize
    request's asset_id reached the database (a 500). Every operation's request refuses it."""
    if path.endswith("/transform"):  # a form (multipart or urlencoded), looked up first:
        response = await api.client.post(path, data={"asset_id": "a\u0000b"},
                                          headers=api.alice)
        assert response.status_code == 404, response.text  # no asset can have that id
        return
    response = await api.client.post(path, json={"asset_id": "a\u0000b", "all": True},
                                      headers=api.alice)
    assert response.status_code == 422, response.text
    assert "U+0000" in _error(response.json())["message"]
