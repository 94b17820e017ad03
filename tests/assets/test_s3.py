"""The S3 store against a real S3-compatible server on loopback (moto's server, started by
the ``s3_url`` fixture): the store contract, the blob lifetime rule and downloads."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from moto.server import ThreadedMotoServer
from tests.assets import test_blobs
from tests.assets.test_blobs import _png
from tests.credits.conftest import Studio

from imagestudio.assets.s3 import S3AssetStore, parse_storage_url
from imagestudio.errors import InvalidRequest

KEY = "test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_url(s3_endpoint: str) -> str:
    """A fresh bucket (and a prefix in it) for this test."""
    bucket = f"studio-{uuid.uuid4().hex[:12]}"
    assert httpx.put(f"{s3_endpoint}/{bucket}").is_success
    return f"s3://{bucket}/assets/v1"


def _store(s3_url: str, endpoint: str) -> S3AssetStore:
    return S3AssetStore.connect(s3_url, endpoint=endpoint, region="us-east-1",
                                access_key_id=KEY, secret_access_key=KEY, allow_http=True)


@pytest.fixture
async def s3_studio(studio_factory: Callable[..., Any], s3_url: str, s3_endpoint: str) -> Studio:
    made: Studio = await studio_factory(
        storage_url=s3_url, s3_endpoint_url=s3_endpoint, s3_access_key_id=KEY,
        s3_secret_access_key=KEY,
    )
    return made


def test_storage_urls_name_a_bucket_and_a_prefix() -> None:
    assert parse_storage_url("s3://b/some/prefix/") == ("b", "some/prefix")
    assert parse_storage_url("s3://b") == ("b", "")
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        parse_storage_url("https://b/x")


async def test_the_store_keeps_objects_under_its_prefix(s3_url: str, s3_endpoint: str) -> None:
    store = _store(s3_url, s3_endpoint)
    data = _png(1)
    key = "4b/" + "4b" + "0" * 62 + ".png"
    assert not await store.exists(key)
    await store.write(key, data)
    await store.write(key, data)  # there already: no second PUT needed
    assert await store.exists(key) and await store.read(key) == data
    assert [k async for k in store.stored_keys()] == [key]
    bucket = s3_url.removeprefix("s3://").split("/")[0]
    raw = httpx.get(f"{s3_endpoint}/{bucket}/assets/v1/{key}")
    assert raw.status_code == 403  # private: only a presigned URL or the API serves it
    presigned = await store.presign(key, 60)
    assert "X-Amz-Signature" in presigned and httpx.get(presigned).content == data
    size, chunks = await store.open_stream(key)
    assert size == len(data) and b"".join([c async for c in chunks]) == data
    assert await store.delete(key) is True and not await store.exists(key)
    assert store.delete_blocking(key) is False and await store.delete(key) is False
    assert await store.remove_partial(0) == 0
    with pytest.raises(InvalidRequest):
        await store.write("../../etc/passwd", data)
    with pytest.raises(FileNotFoundError):
        await store.read(key)


async def test_delete_upload_races_on_s3_keep_every_file(s3_studio: Studio) -> None:
    await test_blobs.test_deletes_racing_uploads_of_the_same_bytes_across_users_keep_every_file(
        s3_studio)


async def test_the_collector_on_s3_honours_the_grace_period(s3_studio: Studio) -> None:
    await test_blobs.test_the_collector_honours_the_grace_period(s3_studio)


async def test_the_collector_on_s3_racing_new_claims_keeps_every_file(s3_studio: Studio) -> None:
    await test_blobs.test_the_collector_racing_new_claims_of_expired_blobs_keeps_every_file(
        s3_studio)


async def test_a_claim_on_s3_wins_the_re_check(s3_studio: Studio) -> None:
    await test_blobs.test_a_claim_between_the_scan_and_the_removal_wins(s3_studio)


async def test_a_claim_on_s3_after_a_removal_writes_anew(s3_studio: Studio) -> None:
    await test_blobs.test_a_claim_after_a_removal_writes_the_file_anew(s3_studio)


async def _upload(studio: Studio, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    response = await studio.client.post("/api/image-studio/assets", headers=headers,
                                        files={"file": ("a.png", data)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_downloads_stream_through_the_api(s3_studio: Studio) -> None:
    ann = await s3_studio.user("ann")
    data = _png(40)
    asset = await _upload(s3_studio, ann, data)
    content = await s3_studio.client.get(f"/api/image-studio/assets/{asset['id']}/content",
                                         headers=ann)
    assert content.status_code == 200 and content.content == data
    assert content.headers["etag"] == f'"{asset["sha256"]}"'
    assert content.headers["content-type"] == "image/png"
    again = await s3_studio.client.get(f"/api/image-studio/assets/{asset['id']}/content",
                                       headers={**ann, "If-None-Match": content.headers["etag"]})
    assert again.status_code == 304
    signed = await s3_studio.client.get(asset["url"])
    assert signed.status_code == 200 and signed.content == data
    forged = await s3_studio.client.get(asset["url"].replace("signature=", "signature=x"))
    assert forged.status_code in (403, 422)
    export = await s3_studio.client.post("/api/image-studio/assets/export", headers=ann,
                                         json={"asset_ids": [asset["id"]]})
    assert export.status_code == 200 and data in export.content


async def test_downloads_redirect_to_presigned_urls_when_configured(
    studio_factory: Callable[..., Any], s3_url: str, s3_endpoint: str
) -> None:
    studio: Studio = await studio_factory(
        storage_url=s3_url, s3_endpoint_url=s3_endpoint, s3_access_key_id=KEY,
        s3_secret_access_key=KEY, storage_downloads="redirect",
    )
    bo = await studio.user("bo")
    data = _png(41)
    asset = await _upload(studio, bo, data)
    signed = await studio.client.get(asset["url"])
    assert signed.status_code == 307 and signed.headers["cache-control"] == "no-store"
    location = signed.headers["location"]
    assert location.startswith(s3_endpoint) and "X-Amz-Expires=" in location
    expires = int(location.split("X-Amz-Expires=")[1].split("&")[0])
    link_expires = int(httpx.URL(asset["url"]).params["expires"])
    assert 0 < expires <= link_expires - time.time() + 1  # never outlives the signed link
    assert httpx.get(location).content == data
    forged = await studio.client.get(asset["url"].replace("signature=", "signature=x"))
    assert forged.status_code in (403, 422)


def test_the_environment_chooses_the_bucket(monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                                            s3_url: str, s3_endpoint: str) -> None:
    from imagestudio.assets.store import LocalAssetStore
    from imagestudio.container import build_store
    from imagestudio.settings import Settings

    assert isinstance(build_store(Settings(_env_file=None, data_dir=tmp_path)), LocalAssetStore)
    for name, value in {"IMAGESTUDIO_STORAGE_URL": s3_url,
                        "IMAGESTUDIO_S3_ENDPOINT_URL": s3_endpoint,
                        "IMAGESTUDIO_S3_ACCESS_KEY_ID": KEY,
                        "IMAGESTUDIO_S3_SECRET_ACCESS_KEY": KEY,
                        "IMAGESTUDIO_STORAGE_DOWNLOADS": "redirect"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.storage_downloads == "redirect"
    store = build_store(settings)
    assert isinstance(store, S3AssetStore)
    import asyncio

    key = "cd/cd" + "1" * 62 + ".png"
    asyncio.run(store.write(key, b"bytes"))
    assert asyncio.run(_store(s3_url, s3_endpoint).read(key)) == b"bytes"
    monkeypatch.setenv("IMAGESTUDIO_STORAGE_URL", "https://not-a-bucket")
    with pytest.raises(ValueError, match="storage_url"):
        Settings(_env_file=None, data_dir=tmp_path)
