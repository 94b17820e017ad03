"""Signed, expiring download URLs: ``/files/<asset>.<ext>?expires=<unix>&signature=<hmac>``.

A signed URL lets ``<img src>`` tags and SDK clients fetch one asset without the bearer
header. Expiry is rounded up to a bucket so the same asset keeps the same URL for a
while and browsers can cache it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from imagestudio.errors import Forbidden

FILES_PATH = "/api/image-studio/files"


class UrlSigner:
    def __init__(self, secret: bytes, *, ttl_s: int) -> None:
        self._secret = secret
        self._ttl_s = ttl_s
        self._bucket = max(60, ttl_s // 4)

    def _signature(self, asset_id: str, expires: int) -> str:
        mac = hmac.new(self._secret, f"{asset_id}.{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode()

    def expiry(self, now: float | None = None) -> int:
        moment = int(time.time() if now is None else now) + self._ttl_s
        return (moment // self._bucket + 1) * self._bucket

    def path(self, asset_id: str, extension: str, *, expires: int | None = None) -> str:
        """The signed path (no host) of ``asset_id``'s file."""
        expires = self.expiry() if expires is None else expires
        signature = self._signature(asset_id, expires)
        return f"{FILES_PATH}/{asset_id}.{extension}?expires={expires}&signature={signature}"

    def verify(self, asset_id: str, expires: int, signature: str, now: float | None = None) -> int:
        """Seconds the URL stays valid; Forbidden for a bad or expired signature."""
        expected = self._signature(asset_id, expires)
        remaining = expires - int(time.time() if now is None else now)
        # Bytes, not str: compare_digest refuses non-ASCII text, and a link is anyone's input.
        given = signature.encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(expected.encode(), given) or remaining <= 0:
            raise Forbidden("this link is invalid or has expired")
        return remaining
