"""LeanJsonRoute: the hot endpoints' arguments resolved without FastAPI's solver, with the
same answers (401 before 422, the field named, OpenAPI unchanged) and a loud refusal of
any signature it does not understand."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from pydantic import BaseModel, Field
from tests.api.conftest import Api

from imagestudio.api.errors import install_error_handlers
from imagestudio.api.lean_route import lean_route_class
from imagestudio.errors import Unauthorized


class Body(BaseModel):
    name: str = Field(max_length=5)
    count: int = 1


async def caller(request: Request) -> str:
    key = request.headers.get("authorization")
    if key != "Bearer ok":
        raise Unauthorized("a valid key is required")
    return "alice"


async def lean_caller(request: Request) -> str:
    return await caller(request)


Route = lean_route_class({caller: lean_caller})


def _app(endpoint: object, **options: object) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    router = APIRouter()
    router.add_api_route("/echo", endpoint, methods=["POST"],  # type: ignore[arg-type]
                         route_class_override=Route, **options)  # type: ignore[arg-type]
    app.include_router(router)
    return app


async def echo(
    body: Body,
    http: Request,
    user: Annotated[str, Depends(caller)],
    tag: Annotated[str | None, Header(alias="X-Tag")] = None,
) -> Response:
    return Response(f"{user}:{body.name}:{body.count}:{tag}:{http.method}")


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


OK = {"authorization": "Bearer ok"}


async def test_arguments_are_resolved_from_the_request() -> None:
    async with _client(_app(echo)) as client:
        response = await client.post("/echo", json={"name": "bob", "count": 3},
                                     headers={**OK, "X-Tag": "t1"})
    assert response.status_code == 200
    assert response.text == "alice:bob:3:t1:POST"


async def test_the_key_is_checked_before_the_body() -> None:
    async with _client(_app(echo)) as client:
        response = await client.post("/echo", content=b"{not json",
                                     headers={"content-type": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("content", "content_type", "field", "words"),
    [
        (b'{"name": "toolong"}', "application/json", "name", "characters; the limit is 5"),
        (b'{"count": 1}', "application/json", "name", "name is required"),
        (b"{broken", "application/json", "body", "not valid JSON"),
        (b"", "application/json", "body", "required"),
        (b'{"name": "a"}', "text/plain", "body", "must be JSON"),
    ],
)
async def test_bad_bodies_get_the_studio_422(
    content: bytes, content_type: str, field: str, words: str
) -> None:
    async with _client(_app(echo)) as client:
        response = await client.post("/echo", content=content,
                                     headers={**OK, "content-type": content_type})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == field
    assert words in error["message"]


async def test_dependency_overrides_fall_back_to_fastapi() -> None:
    app = _app(echo)
    app.dependency_overrides[caller] = lambda: "mallory"
    async with _client(app) as client:
        response = await client.post("/echo", json={"name": "x"})
    assert response.text == "mallory:x:1:None:POST"


def test_openapi_documents_the_body_as_for_any_route() -> None:
    operation = _app(echo).openapi()["paths"]["/echo"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Body"}
    assert any(p["name"] == "X-Tag" for p in operation["parameters"])


async def unknown_dependency(
    body: Body, user: Annotated[str, Depends(lambda: "x")]
) -> Response:
    return Response()


async def query_parameter(body: Body, page: int = 1) -> Response:
    return Response()


async def returns_a_model(body: Body) -> Body:
    return body


async def required_header(body: Body, tag: Annotated[str, Header()]) -> Response:
    return Response()


@pytest.mark.parametrize(
    "endpoint", [unknown_dependency, query_parameter, returns_a_model, required_header]
)
def test_signatures_it_cannot_resolve_are_refused_at_start_up(endpoint: object) -> None:
    with pytest.raises(TypeError, match="/echo"):
        _app(endpoint)


async def test_the_studio_routes_answer_as_before(api: Api) -> None:
    no_key = await api.client.post("/api/image-studio/create", content=b"{")
    assert no_key.status_code == 401
    plain = await api.client.post("/v1/images/generations", content=b'{"prompt": "x"}',
                                  headers={**api.alice, "content-type": "text/plain"})
    assert plain.status_code == 400  # /v1 answers as OpenAI does
    schema = api.app.openapi()["paths"]["/api/image-studio/create"]["post"]["requestBody"]
    assert schema["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StudioCreateRequest"
    )
