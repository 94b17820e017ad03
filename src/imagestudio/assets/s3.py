"""An S3-compatible :class:`~imagestudio.assets.store.AssetStore` on ``obstore``.

Chosen by ``IMAGESTUDIO_STORAGE_URL=s3://bucket/prefix`` (install the ``s3`` extra); the
endpoint, region and credentials come from the ``IMAGESTUDIO_S3_*`` settings. Objects are
named ``<prefix>/<content key>``; a ``PUT`` is atomic, so no partial object is ever
visible and :meth:`S3AssetStore.remove_partial` has nothing to do. Why obstore (and not
aioboto3): see ``docs/storage.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from imagestudio.assets.store import check_key
from imagestudio.errors import InvalidRequest

if TYPE_CHECKING:
    from obstore.store import S3Store


def parse_storage_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → (``bucket``, ``some/prefix``); ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"storage URL must look like s3://bucket/prefix, got {url!r}")
    return parts.netloc, parts.path.strip("/")


class S3AssetStore:
    """Objects in one bucket under ``prefix``; every method validates the key."""

    def __init__(self, store: S3Store, prefix: str = "") -> None:
        self._store = store
        self._prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    @classmethod
    def connect(
        cls, url: str, *, endpoint: str | None, region: str, access_key_id: str | None,
        secret_access_key: str | None, allow_http: bool,
    ) -> S3AssetStore:
        """A store for ``url`` (``s3://bucket/prefix``); nothing is contacted yet."""
        from obstore.store import S3Store

        bucket, prefix = parse_storage_url(url)
        config: dict[str, Any] = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
            config["virtual_hosted_style_request"] = False
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        store = S3Store(bucket, config=config,  # type: ignore[arg-type]
                        client_options={"allow_http": allow_http})
        return cls(store, prefix)

    def _path(self, key: str) -> str:
        return self._prefix + check_key(key)

    async def write(self, key: str, data: bytes) -> None:
        import obstore

        path = self._path(key)
        try:
            meta = await obstore.head_async(self._store, path)
        except FileNotFoundError:
            pass
        else:
            if meta["size"] == len(data):
                return
        await obstore.put_async(self._store, path, data)

    async def exists(self, key: str) -> bool:
        import obstore

        try:
            await obstore.head_async(self._store, self._path(key))
        except FileNotFoundError:
            return False
        return True

    async def delete(self, key: str) -> bool:
        import obstore

        existed = await self.exists(key)
        await obstore.delete_async(self._store, self._path(key))
        return existed

    def delete_blocking(self, key: str) -> bool:
        import obstore

        path = self._path(key)
        try:
            obstore.head(self._store, path)
        except FileNotFoundError:
            return False
        obstore.delete(self._store, path)
        return True

    async def read(self, key: str) -> bytes:
        import obstore

        result = await obstore.get_async(self._store, self._path(key))
        return bytes(await result.bytes_async())

    async def open_stream(self, key: str) -> tuple[int, AsyncIterator[bytes]]:
        """The object's size and its bytes in chunks; raises FileNotFoundError."""
        import obstore

        result = await obstore.get_async(self._store, self._path(key))

        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in result.stream():
                yield bytes(chunk)

        return result.meta["size"], chunks()

    async def stored_keys(self) -> AsyncIterator[str]:
        import obstore

        async for chunk in obstore.list(self._store, self._prefix or None):
            for meta in chunk:
                key = meta["path"].removeprefix(self._prefix)
                try:
                    yield check_key(key)
                except InvalidRequest:  # not ours (another tool's object under the prefix)
                    continue

    async def remove_partial(self, older_than_s: float) -> int:  # noqa: ARG002 - atomic PUTs
        return 0

    async def presign(self, key: str, expires_s: int) -> str:
        """A URL that GETs the object without credentials for ``expires_s`` seconds."""
        import obstore

        return await obstore.sign_async(
            self._store, "GET", self._path(key), dt.timedelta(seconds=expires_s)
        )
