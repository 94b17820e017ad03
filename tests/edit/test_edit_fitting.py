"""Images over a vendor's limits through ``POST /edit``: reduced to fit where the result
loses nothing (the emulator, which enforces Stability's published limits, gets an image
inside them), refused with a 4xx naming ``image`` before any hold where it cannot be."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from tests.edit.conftest import CREDIT, EditApi, png

EDIT = "/api/image-studio/edit"


def photo(width: int, height: int) -> bytes:
    """A smooth gradient: every pixel different, and a small PNG."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def sent_size(api: EditApi) -> tuple[int, int]:
    request = api.stability.requests("POST")[-1]
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        if b'name="image"' in part.split(b"\r\n\r\n", 1)[0]:
            with Image.open(io.BytesIO(part.split(b"\r\n\r\n", 1)[1][:-2])) as image:
                return image.size
    raise AssertionError("no image part")


async def _file(api: EditApi, url: str) -> Image.Image:
    response = await api.client.get(url)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


async def test_a_cut_out_over_the_limit_comes_back_at_full_size_on_its_own_pixels(
    edit_api: EditApi,
) -> None:
    source = photo(2100, 2100)  # 4.41 MP: remove-background takes at most 4,194,304 px
    response = await edit_api.client.post(EDIT, headers=edit_api.headers, data={
        "op": "remove-background"}, files={"image": ("s.png", source, "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (2100, 2100) and body["cost_micros"] == 50_000
    assert body["warnings"] == ["the image is sent to stability/remove-background reduced "
                                "from 2100x2100 to 2048x2048 to fit its limits"]
    assert sent_size(edit_api) == (2048, 2048)
    with await _file(edit_api, body["url"]) as result, Image.open(io.BytesIO(source)) as original:
        assert result.mode == "RGBA" and result.size == (2100, 2100)
        assert result.getpixel((5, 5))[3] == 0  # type: ignore[index]
        middle = (1000, 1300)
        assert result.getpixel(middle)[:3] == original.getpixel(middle)  # type: ignore[index]
        assert result.getpixel(middle)[3] == 255  # type: ignore[index]


async def test_an_image_over_the_limit_is_reduced_for_an_edit_that_makes_its_own_size(
    edit_api: EditApi,
) -> None:
    persistence = edit_api.app.state.api.persistence  # over the Pro plan's 8.3 MP
    erin = await persistence.accounts.create_user("erin", plan="enterprise")
    await persistence.credits.admin.grant("erin", CREDIT, note="test")
    response = await edit_api.client.post(EDIT, headers={
        "Authorization": f"Bearer {erin.key}"}, data={
        "op": "search-and-replace", "prompt": "a dog", "search_prompt": "the cat"},
        files={"image": ("s.png", photo(3200, 3000), "image/png")})
    assert response.status_code == 200, response.text
    width, height = sent_size(edit_api)
    assert width * height <= 9_437_184 and abs(width / height - 3200 / 3000) < 0.002
    assert (response.json()["width"], response.json()["height"]) == (width, height)


async def test_an_erase_over_the_limit_changes_only_the_masked_area(
    edit_api: EditApi,
) -> None:
    persistence = edit_api.app.state.api.persistence  # over the Pro plan's 8.3 MP
    erin = await persistence.accounts.create_user("erin", plan="enterprise")
    await persistence.credits.admin.grant("erin", CREDIT, note="test")
    source = photo(3100, 3100)
    mask = Image.new("L", (3100, 3100), 0)
    mask.paste(255, (1000, 1000, 1400, 1300))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    response = await edit_api.client.post(
        EDIT, headers={"Authorization": f"Bearer {erin.key}"}, data={"op": "erase"},
        files={"image": ("s.png", source, "image/png"),
               "mask": ("m.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (3100, 3100)
    assert sent_size(edit_api) == (3072, 3072)
    with await _file(edit_api, body["url"]) as result, Image.open(io.BytesIO(source)) as original:
        got, want = np.asarray(result.convert("RGB")), np.asarray(original.convert("RGB"))
    changed = np.argwhere(np.any(got != want, axis=-1))
    # only inside the mask, grown by Stability's 5 px (≈ 5 px here) and a soft edge
    assert changed.size and changed.min(axis=0).tolist() >= [990, 990]
    assert changed.max(axis=0).tolist() <= [1310, 1410]
    assert np.any(got[1150, 1200] != want[1150, 1200])


async def test_an_image_that_cannot_be_fitted_is_refused_before_any_hold(
    edit_api: EditApi,
) -> None:
    before = await edit_api.asset_count()
    big = photo(3100, 3100)
    cases: list[tuple[dict[str, str], bytes, bytes | None, str]] = [
        ({"op": "erase"}, big, None, "fitted only with a mask"),
        ({"op": "search-and-recolor", "prompt": "red", "select_prompt": "the car"}, big,
         None, "at most 9437184 pixels"),
        ({"op": "outpaint", "left": "100"}, photo(1200, 400), None,
         "aspect ratios between 0.4 and 2.5"),
        ({"op": "inpaint", "prompt": "a hat"}, photo(60, 400), png(60, 400, (255,), "L"),
         "sides of at least 64 px"),
    ]
    for fields, image, mask, fragment in cases:
        files = {"image": ("s.png", image, "image/png")}
        if mask is not None:
            files["mask"] = ("m.png", mask, "image/png")
        response = await edit_api.client.post(EDIT, headers=edit_api.headers, data=fields,
                                              files=files)
        assert response.status_code == 422, (fields, response.text)
        error = response.json()["error"]
        assert error["details"]["field"] == "image" and fragment in error["message"], error
    assert await edit_api.asset_count() == before
    usage = await edit_api.usage()
    assert usage["quotas"]["image_edit"]["used"] == 0  # type: ignore[index]
    assert usage["balance"]["micros"] == CREDIT  # type: ignore[index]
    assert edit_api.stability.requests("POST") == []
