"""Stability's control endpoints (sketch, structure, style) as edit operations: the
emulator's contract, the client against it, and the money path through the API."""

from __future__ import annotations

import httpx
import pytest
from tests.edit.conftest import CREDIT, KEY, EditApi, png

from imagestudio.edit.operations import load_operations
from imagestudio.emulators._multipart import parse_form_data
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.stability_edit import StabilityEditor
from imagestudio.settings import Settings

URL = "https://api.stability.ai/v2beta/stable-image/control"
AUTH = {"authorization": f"Bearer {KEY}", "accept": "image/*"}
OPERATIONS = load_operations()


def _post(emulator: StabilityEmulator, endpoint: str, fields: dict[str, str],
          files: dict[str, bytes], headers: dict[str, str] = AUTH) -> httpx.Response:
    with httpx.Client(transport=httpx.MockTransport(emulator)) as http:
        return http.post(f"{URL}/{endpoint}", data=fields, headers=headers,
                         files={k: (k, v) for k, v in files.items()})


@pytest.mark.parametrize(("endpoint", "fields", "files", "fragment"), [
    ("sketch", {}, {}, "prompt"),
    ("sketch", {"prompt": "x", "control_strength": "1.5"}, {}, "control_strength"),
    ("sketch", {"prompt": "x", "fidelity": "0.5"}, {}, "fidelity"),  # style's field
    ("structure", {"prompt": "x", "aspect_ratio": "16:9"}, {}, "aspect_ratio"),
    ("structure", {"prompt": "x", "style_preset": "watercolour"}, {}, "style_preset"),
    ("style", {"prompt": "x", "control_strength": "0.5"}, {}, "control_strength"),
    ("style", {"prompt": "x", "fidelity": "-0.1"}, {}, "fidelity"),
    ("style", {"prompt": "x", "aspect_ratio": "4:3"}, {}, "aspect_ratio"),
    ("style", {"prompt": "x", "image": "inline"}, {}, "image"),  # a file, not a field
    ("sketch", {"prompt": "x"}, {"mask": png(100, 100)}, "mask"),
    ("sketch", {"prompt": "x"}, {"image": png(40, 300)}, "at least 64"),
    ("structure", {"prompt": "x"}, {"image": png(300, 100)}, "aspect ratio"),
])
def test_a_wrong_field_or_size_is_a_400_before_auth(
    endpoint: str, fields: dict[str, str], files: dict[str, bytes], fragment: str,
) -> None:
    response = _post(StabilityEmulator(KEY), endpoint, fields,
                     {"image": png(100, 100), **files}, headers={"accept": "image/*"})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["name"] == "bad_request"
    assert any(fragment in e for e in body["errors"]), body["errors"]


def test_pose_is_not_an_endpoint() -> None:
    response = _post(StabilityEmulator(KEY), "pose", {"prompt": "x"}, {"image": png(100, 100)})
    assert response.status_code == 404


async def test_the_client_sends_each_control_endpoint_its_fields() -> None:
    emulator = StabilityEmulator(KEY)
    settings = Settings(_env_file=None, stability_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = StabilityEditor(settings.provider("stability"), client=http)
        image = png(200, 100)
        sketch = await client.control("sketch", image, {"prompt": "a castle",
                                                        "control_strength": "0.4"})
        style = await client.control("style", image, {"prompt": "a cat", "fidelity": "0.9",
                                                      "aspect_ratio": "16:9"})
        with pytest.raises(ProviderBadRequest):
            await client.control("structure", image, {"prompt": "x", "fidelity": "0.2"})
    assert (sketch.width, sketch.height) == (200, 100)
    assert (style.width, style.height) == (1344, 768)  # about 1 MP at 16:9
    paths = [r.url.path for r in emulator.requests("POST")]
    assert paths == [f"/v2beta/stable-image/control/{n}" for n in ("sketch", "style",
                                                                  "structure")]


def _sent(api: EditApi) -> dict[str, bytes]:
    [request] = api.stability.requests("POST")
    assert request.url.path.startswith("/v2beta/stable-image/control/")
    parts = parse_form_data(request.headers["content-type"], request.content)
    return {p.name: bytes(p.data) for p in parts if p.name}


@pytest.mark.parametrize(("op", "extra", "sent"), [
    ("sketch", {"control_strength": 0}, {"control_strength": b"0.0"}),
    ("structure", {"control_strength": 0.9, "style_preset": "line-art"},
     {"control_strength": b"0.9", "style_preset": b"line-art"}),
    ("style", {"fidelity": 0.8, "aspect_ratio": "9:16"},
     {"fidelity": b"0.8", "aspect_ratio": b"9:16"}),
])
async def test_control_through_the_api_is_charged_its_price(
    edit_api: EditApi, op: str, extra: dict[str, object], sent: dict[str, bytes],
) -> None:
    source = await edit_api.upload(png(256, 192))
    response = await edit_api.client.post(
        "/api/image-studio/edit", headers=edit_api.headers,
        json={"asset_id": source, "op": op, "prompt": "a lighthouse", **extra})
    assert response.status_code == 200, response.text
    body = response.json()
    price = OPERATIONS[f"stability/{op}"].price_micros
    assert body["engine"] == f"stability/{op}" and body["cost_micros"] == price == 50_000
    assert body["warnings"] == []
    parts = _sent(edit_api)
    assert {k: v for k, v in parts.items() if k in sent} == sent
    assert sorted(parts) == sorted({"image", "prompt", "output_format", *sent})
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - price  # type: ignore[index]
    made = (await edit_api.client.get(f"/api/image-studio/assets/{body['asset_id']}",
                                      headers=edit_api.headers)).json()
    assert made["parent_id"] == source


async def test_control_needs_a_prompt_and_warns_of_fields_it_ignores(
    edit_api: EditApi,
) -> None:
    source = await edit_api.upload(png(256, 192))
    missing = await edit_api.client.post(
        "/api/image-studio/edit", headers=edit_api.headers,
        json={"asset_id": source, "op": "sketch"})
    assert missing.status_code == 422 and "prompt" in missing.text
    bad = await edit_api.client.post(
        "/api/image-studio/edit", headers=edit_api.headers,
        json={"asset_id": source, "op": "sketch", "prompt": "x", "control_strength": 2})
    assert bad.status_code == 422 and "control_strength" in bad.text
    assert edit_api.stability.requests("POST") == []
    ignored = await edit_api.client.post(
        "/api/image-studio/edit/preflight", headers=edit_api.headers,
        json={"asset_id": source, "op": "sketch", "prompt": "x", "fidelity": 0.3})
    assert ignored.status_code == 200, ignored.text
    assert ignored.json()["warnings"] == ["sketch ignores fidelity"]
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]


async def test_operations_list_the_control_engines_with_prices(edit_api: EditApi) -> None:
    response = await edit_api.client.get("/api/image-studio/edit/operations",
                                         headers=edit_api.headers)
    found = {o["id"]: o for o in response.json()}
    for op in ("sketch", "structure", "style"):
        listed = found[f"stability/{op}"]
        assert listed["available"] and listed["price_micros"] == 50_000
        assert listed["prompt"] == "required" and listed["mask"] == "none"
