"""OpenAI's image edits (§5.3) as a vendor engine: the emulator's contract, the client
against it, and ``op: instruct`` through the API (held and captured at its price)."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from tests.edit.conftest import CREDIT, KEY, EditApi, png

from imagestudio.edit.operations import load_operations
from imagestudio.emulators._multipart import parse_form_data
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.openai_edit import OpenAIEditor
from imagestudio.settings import Settings

URL = "https://api.openai.com/v1/images/edits"
PRICE = load_operations()["openai/gpt-image-1"].price_micros


def _rgba(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 255)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("fields", "files", "param"), [
    ({"model": "gpt-image-1"}, [("image[]", png(64, 64))], "prompt"),
    ({"model": "gpt-image-1", "prompt": "x"}, [("image[]", png(64, 64)),
                                               ("mask", _rgba((32, 32)))], "mask"),
    ({"model": "gpt-image-1", "prompt": "x"}, [("image[]", png(64, 64)),
                                               ("mask", png(64, 64))], "mask"),  # no alpha
    ({"model": "gpt-image-1-mini", "prompt": "x", "input_fidelity": "high"},
     [("image[]", png(64, 64))], "input_fidelity"),
    ({"model": "gpt-image-1", "prompt": "x", "strength": "0.5"},
     [("image[]", png(64, 64))], "strength"),
    ({"model": "gpt-image-1", "prompt": "x", "size": "999x999"},
     [("image[]", png(64, 64))], "size"),
    ({"model": "gpt-image-1", "prompt": "x"}, [("image", png(64, 64)),
                                               ("image[]", png(64, 64))], "image"),
    ({"model": "gpt-image-1", "prompt": "x"}, [("mask", _rgba((64, 64)))], "image"),
])
def test_a_wrong_field_is_a_400_naming_it(
    fields: dict[str, str], files: list[tuple[str, bytes]], param: str,
) -> None:
    with httpx.Client(transport=httpx.MockTransport(OpenAIEmulator(KEY))) as http:
        response = http.post(URL, data=fields, headers={"Authorization": f"Bearer {KEY}"},
                             files=[(name, (f"{name}.png", data)) for name, data in files])
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == param


async def test_the_client_sends_image_array_and_mask() -> None:
    emulator = OpenAIEmulator(KEY)
    settings = Settings(_env_file=None, openai_api_key=KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as http:
        client = OpenAIEditor(settings.provider("openai"), client=http)
        made = await client.edit("gpt-image-1", [png(300, 200)], "a hat",
                                 mask=_rgba((300, 200)))
        assert (made.width, made.height) == (1024, 1024)
        with pytest.raises(ProviderBadRequest):
            await client.edit("gpt-image-1", [png(300, 200)], "a hat", mask=_rgba((10, 10)))
    sent = emulator.requests("POST")[0]
    names = [p.name for p in parse_form_data(sent.headers["content-type"], sent.content)]
    assert sorted(names) == ["image[]", "mask", "model", "n", "output_format", "prompt",
                             "quality"]


async def test_instruct_through_the_api_is_charged_and_the_mask_converted(
    edit_api: EditApi,
) -> None:
    source = await edit_api.upload(png(256, 192))
    mask = Image.new("L", (256, 192), 0)
    mask.paste(255, (10, 10, 50, 50))  # white = edit, the studio's convention
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    response = await edit_api.client.post(
        "/api/image-studio/edit", headers=edit_api.headers,
        data={"asset_id": source, "op": "instruct", "prompt": "put a hat on it"},
        files={"mask": ("m.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["engine"] == "openai/gpt-image-1" and body["cost_micros"] == PRICE
    usage = await edit_api.usage()
    assert usage["balance"]["micros"] == CREDIT - PRICE  # type: ignore[index]
    [sent] = edit_api.openai.requests("POST")
    parts = {p.name: p for p in parse_form_data(sent.headers["content-type"], sent.content)}
    with Image.open(io.BytesIO(bytes(parts["mask"].data))) as sent_mask:
        assert sent_mask.mode == "RGBA"
        assert sent_mask.getpixel((20, 20))[3] == 0  # type: ignore[index]
        assert sent_mask.getpixel((100, 100))[3] == 255  # type: ignore[index]
