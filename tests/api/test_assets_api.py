import io
import zipfile
from pathlib import Path

import pytest
from tests.api.conftest import Api, png_bytes

A = "/api/image-studio/assets"


async def _asset(api: Api, headers: dict[str, str], **body: object) -> dict[str, object]:
    created = await api.create(headers, **body)
    variation = created["variations"][0]  # type: ignore[index]
    asset_id = variation["asset_id"]
    response = await api.client.get(f"{A}/{asset_id}", headers=headers)
    assert response.status_code == 200
    result: dict[str, object] = response.json()
    return result


async def test_other_users_assets_are_404_on_every_route(api: Api) -> None:
    mine = await _asset(api, api.alice)
    aid = mine["id"]
    bob = api.bob
    collection = (
        await api.client.post("/api/image-studio/collections", json={"name": "b"}, headers=bob)
    ).json()
    attempts = [
        await api.client.get(f"{A}/{aid}", headers=bob),
        await api.client.patch(f"{A}/{aid}", json={"favourite": True}, headers=bob),
        await api.client.delete(f"{A}/{aid}", headers=bob),
        await api.client.get(f"{A}/{aid}/content", headers=bob),
        await api.client.post(f"{A}/export", json={"asset_ids": [aid]}, headers=bob),
        await api.client.post(
            f"/api/image-studio/collections/{collection['id']}/assets",
            json={"asset_ids": [aid]},
            headers=bob,
        ),
    ]
    for response in attempts:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    unknown = await api.client.get(f"{A}/{'f' * 32}", headers=bob)
    assert unknown.json()["error"]["message"].replace("f" * 32, "") == (
        attempts[0].json()["error"]["message"].replace(str(aid), "")
    )
    listing = await api.client.get(A, headers=bob)
    assert listing.json()["items"] == []
    still = await api.client.get(f"{A}/{aid}", headers=api.alice)
    assert still.status_code == 200 and still.json()["favourite"] is False
    alice_collection = (
        await api.client.post(
            "/api/image-studio/collections", json={"name": "a"}, headers=api.alice
        )
    ).json()
    peek = await api.client.get(A, params={"collection": alice_collection["id"]}, headers=bob)
    assert peek.status_code == 404


async def test_download_headers_etag_and_range(api: Api) -> None:
    asset = await _asset(api, api.alice)
    url = f"{A}/{asset['id']}/content"
    full = await api.client.get(url, headers=api.alice)
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/png"
    assert full.headers["etag"] == f'"{asset["sha256"]}"'
    assert "max-age" in full.headers["cache-control"]
    assert full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    assert size == asset["size_bytes"]

    cached = await api.client.get(url, headers={**api.alice, "If-None-Match": full.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""

    part = await api.client.get(url, headers={**api.alice, "Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 10-19/{size}"
    assert part.content == full.content[10:20]

    tail = await api.client.get(url, headers={**api.alice, "Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == full.content[-5:]

    beyond = await api.client.get(url, headers={**api.alice, "Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"

    junk = await api.client.get(url, headers={**api.alice, "Range": "pages=1-2"})
    assert junk.status_code == 200 and junk.content == full.content


async def test_signed_urls_work_without_a_key_and_refuse_tampering(api: Api) -> None:
    asset = await _asset(api, api.alice)
    url = str(asset["url"])
    # Relative: the test client's Host (studio.test) is not an allowed host.
    assert url.startswith("/api/image-studio/files/")
    ok = await api.client.get(url)
    assert ok.status_code == 200 and ok.headers["etag"] == f'"{asset["sha256"]}"'
    assert "immutable" in ok.headers["cache-control"]
    other = await _asset(api, api.bob)
    forged = url.replace(str(asset["id"]), str(other["id"]))
    assert (await api.client.get(forged)).status_code == 403
    expired = url.split("?")[0] + "?expires=1000&signature=" + url.split("signature=")[1]
    assert (await api.client.get(expired)).status_code == 403
    await api.client.delete(f"{A}/{asset['id']}", headers=api.alice)
    assert (await api.client.get(url)).status_code == 404


async def test_update_filters_search_and_cursor_pagination(api: Api) -> None:
    ids = []
    for i in range(5):
        asset = await _asset(api, api.alice, prompt=f"sunset over lake number {i}")
        ids.append(asset["id"])
    await _asset(api, api.alice, prompt="city at night")
    patch = await api.client.patch(
        f"{A}/{ids[1]}",
        json={"title": "Hero Shot", "tags": ["Summer", "hero", "summer"], "favourite": True},
        headers=api.alice,
    )
    assert patch.status_code == 200
    assert patch.json()["tags"] == ["hero", "summer"] and patch.json()["title"] == "Hero Shot"

    async def listing(**params: object) -> dict[str, object]:
        response = await api.client.get(A, params=params, headers=api.alice)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    assert [a["id"] for a in (await listing(favourite=True))["items"]] == [ids[1]]  # type: ignore[index]
    assert len((await listing(tag="summer"))["items"]) == 1  # type: ignore[arg-type]
    assert len((await listing(q="sunset LAKE"))["items"]) == 5  # type: ignore[arg-type]
    assert len((await listing(q="hero"))["items"]) == 1  # type: ignore[arg-type]
    assert len((await listing(q="100%"))["items"]) == 0  # type: ignore[arg-type]
    assert len((await listing(provider="local"))["items"]) == 6  # type: ignore[arg-type]
    assert len((await listing(created_after="2000-01-01T00:00:00Z"))["items"]) == 6  # type: ignore[arg-type]
    assert len((await listing(created_before="2000-01-01T00:00:00Z"))["items"]) == 0  # type: ignore[arg-type]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, "sort": "created_at", "order": "asc"}
        if cursor:
            params["cursor"] = cursor
        page = await listing(**params)
        seen += [a["id"] for a in page["items"]]  # type: ignore[attr-defined]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 6 == len(set(seen)) and seen[:5] == ids

    by_size = await listing(sort="size_bytes", order="desc", limit=3)
    sizes = [a["size_bytes"] for a in by_size["items"]]  # type: ignore[attr-defined]
    assert sizes == sorted(sizes, reverse=True)
    bad = await api.client.get(A, params={"cursor": "garbage!"}, headers=api.alice)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "cursor"
    unknown = await api.client.get(A, params={"colour": "red"}, headers=api.alice)
    assert unknown.status_code == 422
    too_many_tags = await api.client.patch(
        f"{A}/{ids[0]}", json={"tags": ["../x"]}, headers=api.alice
    )
    assert too_many_tags.status_code == 422


async def test_zip_export_holds_exactly_the_selected_files(api: Api) -> None:
    first = await _asset(api, api.alice, prompt="first image")
    second = await _asset(api, api.alice, prompt="second image")
    await _asset(api, api.alice, prompt="not exported")
    response = await api.client.post(
        f"{A}/export", json={"asset_ids": [second["id"], first["id"]]}, headers=api.alice
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 2 and names[0].startswith("001-second-image-")
    for name, asset in zip(names, (second, first), strict=True):
        content = await api.client.get(f"{A}/{asset['id']}/content", headers=api.alice)
        assert archive.read(name) == content.content
        assert "/" not in name and ".." not in name


async def test_delete_keeps_the_file_which_the_collector_removes_after_its_last_record(
    api: Api,
) -> None:
    one = await _asset(api, api.alice, seed=7)
    two = await _asset(api, api.bob, seed=7)
    assert one["sha256"] == two["sha256"]
    persistence = api.app.state.api.persistence
    collector = persistence.sweeper.blobs
    path = next(Path(persistence.store.root).rglob(f"{one['sha256']}.png"))
    assert (await api.client.delete(f"{A}/{one['id']}", headers=api.alice)).status_code == 204
    assert (await collector.collect(grace_s=0)).removed == 0
    assert path.exists()
    assert (await api.client.get(f"{A}/{one['id']}", headers=api.alice)).status_code == 404
    assert (await api.client.delete(f"{A}/{two['id']}", headers=api.bob)).status_code == 204
    assert path.exists()  # no request deletes a file
    assert (await collector.collect()).removed == 0  # within the grace period
    assert (await collector.collect(grace_s=0)).removed == 1
    assert not path.exists()


async def test_upload_checks_type_size_and_pixels(api: Api) -> None:
    ok = await api.client.post(
        A,
        headers=api.alice,
        files={"file": ("../../x.png", png_bytes())},
        data={"title": "Logo", "tags": "brand, logo"},
    )
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert (body["width"], body["height"], body["media_type"]) == (32, 24, "image/png")
    assert body["tags"] == ["brand", "logo"]
    assert ".." not in str(
        api.app.state.api.persistence.store.path(
            (await api.client.get(f"{A}/{body['id']}", headers=api.alice)).json()["sha256"][:2]
            + "/"
            + body["sha256"][2:4]
            + "/"
            + body["sha256"]
            + ".png"
        )
    )

    not_image = await api.client.post(A, headers=api.alice, files={"file": ("a.png", b"hello")})
    assert not_image.status_code == 422 and not_image.json()["error"]["details"]["field"] == "file"
    huge = await api.client.post(
        A, headers=api.alice, files={"file": ("a.png", png_bytes(2100, 2000))}
    )
    assert huge.status_code == 413
    too_big = await api.client.post(
        A, headers=api.alice, files={"file": ("a.png", b"\x89PNG" + b"0" * 400_000)}
    )
    assert too_big.status_code == 413


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "..", "x.png%00.txt", "a" * 32 + ".exe"]
)
async def test_signed_file_route_rejects_traversal_names(api: Api, name: str) -> None:
    response = await api.client.get(
        f"/api/image-studio/files/{name}?expires=9999999999&signature=abcdefgh"
    )
    assert response.status_code in (403, 404, 422)  # 422: a NUL is refused at the boundary
    assert response.json()["error"]["code"] in ("forbidden", "not_found", "invalid_request")


def _png_16bit_rgba_zeros(width: int, height: int) -> bytes:
    """A small file that declares ``width × height`` 16-bit RGBA pixels (8 bytes each)."""
    import struct
    import zlib

    from imagestudio.imaging import png

    deflate = zlib.compressobj(9)
    row = bytes(1 + width * 8)
    body = b"".join([deflate.compress(row) for _ in range(height)] + [deflate.flush()])
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0))
    return png.SIGNATURE + header + png.chunk(b"IDAT", body) + png.chunk(b"IEND", b"")


def _stored_files(api: Api) -> list[Path]:
    return [p for p in Path(api.app.state.api.persistence.store.root).rglob("*") if p.is_file()]


async def test_uploads_are_validated_in_full_before_anything_is_written(api: Api) -> None:
    import struct
    import zlib

    from imagestudio.imaging import png

    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", 1900, 2000, 8, 2, 0, 0, 0))
    liar = png.SIGNATURE + header + png.chunk(b"IDAT", zlib.compress(b"\0" * 4))
    liar += png.chunk(b"IEND", b"")
    bomb = _png_16bit_rgba_zeros(1900, 2000)  # 3.8 M pixels, 30 MB of samples
    assert len(liar) < 70 and len(bomb) < 100_000
    before = _stored_files(api)

    refused = await api.client.post(A, headers=api.alice, files={"file": ("a.png", liar)})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"]["field"] == "file"
    assert "truncated" in refused.json()["error"]["message"]
    too_much = await api.client.post(A, headers=api.alice, files={"file": ("b.png", bomb)})
    assert too_much.status_code == 413, too_much.text
    assert "decodes to" in too_much.json()["error"]["message"]
    cut = png_bytes(300, 200, (1, 2, 3))
    half = await api.client.post(A, headers=api.alice, files={"file": ("c.png", cut[:-30])})
    assert half.status_code == 422
    assert _stored_files(api) == before
    listing = await api.client.get(A, headers=api.alice)
    assert listing.json()["items"] == []


async def test_a_polyglot_upload_is_stored_without_its_html_and_served_nosniff(
    api: Api,
) -> None:
    image = png_bytes()
    html = b"<html><script>alert(document.cookie)</script></html>"
    ok = await api.client.post(
        A, headers=api.alice, files={"file": ('x".html', image + html, "text/html")}
    )
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert body["size_bytes"] == len(image) and body["media_type"] == "image/png"
    served = await api.client.get(f"{A}/{body['id']}/content", headers=api.alice)
    assert served.content == image
    signed = await api.client.get(str(body["url"]))
    exported = await api.client.post(
        f"{A}/export", json={"asset_ids": [body["id"]]}, headers=api.alice
    )
    for response in (served, signed, exported):
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
    for response in (served, signed):
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-disposition"] == f'inline; filename="{body["id"]}.png"'
