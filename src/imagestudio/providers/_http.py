"""HTTP plumbing shared by the vendor clients.

One client factory, one ``send`` that turns transport failures into the provider error
taxonomy, a status → error mapping, ``Retry-After`` parsing, secret redaction, image
verification. The vendor clients' base class lives in :mod:`._vendor`.

Transport failures are classified by what the vendor may have done:

- the request never left (connect error, connect or pool timeout) → ``ProviderUnavailable``;
- a request that *creates work* (a submit, a synchronous generate) was sent but no answer
  came back (read/write timeout, dropped connection) → ``ProviderOutcomeUnknown``: the
  vendor may have run and billed it, so it must never be repeated automatically;
- an idempotent GET (poll, download) that timed out → ``ProviderTimeout``; one whose
  connection dropped → ``ProviderUnavailable``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import ipaddress
import logging
import math
import re
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from PIL import Image
from pydantic import SecretStr

from imagestudio import __version__
from imagestudio.imaging.pillow import normalise
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderNotConfigured,
    ProviderOutcomeUnknown,
    ProviderProtocolError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from imagestudio.settings import ProviderSettings

log = logging.getLogger("imagestudio.providers")

USER_AGENT = f"imagestudio/{__version__}"
CONNECT_TIMEOUT_S = 10.0
MAX_MESSAGE_CHARS = 300
REDACTED = "[REDACTED]"

_OPEN_FORMATS = ["PNG", "JPEG", "WEBP"]
# Pillow reports JPEGs carrying a multi-picture header as "MPO".
_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "WEBP": "image/webp"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class NetworkDisabled(httpx.TransportError):
    """Raised instead of sending when a client may only reach loopback."""


class LoopbackOnly(httpx.AsyncBaseTransport):
    """Passes loopback requests to ``inner`` and refuses every other host (tests, offline dev)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host != "localhost" and not _is_loopback_ip(host):
            raise NetworkDisabled(f"unexpected network call to {host}", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_http_client(
    settings: ProviderSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_network: bool = True,
) -> httpx.AsyncClient:
    """A client for one vendor: connect timeout 10 s, read/write/pool ``settings.timeout_s``.

    ``allow_network=False`` (``Settings.allow_provider_requests`` off) limits it to loopback:
    any other host fails with ``ProviderNotConfigured`` when sent through :func:`send`.
    The caller owns the client (and closes it); providers only borrow it.
    """
    if not allow_network:
        transport = LoopbackOnly(transport or httpx.AsyncHTTPTransport())
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_s, connect=CONNECT_TIMEOUT_S),
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    )


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` (seconds or HTTP date).

    Returns ``None`` when neither header is present or parseable; never negative.
    """
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return max(0.0, millis / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _finite(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def redact(text: str, secret: str | SecretStr | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced (vendors echo keys: §1.9)."""
    raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return text.replace(raw, REDACTED) if raw else text


def sanitize(text: str, secret: str | SecretStr | None) -> str:
    """Vendor text made safe for messages and logs: redacted, one line, bounded length."""
    clean = " ".join(_CONTROL.sub(" ", redact(text, secret)).split())
    if len(clean) > MAX_MESSAGE_CHARS:
        clean = clean[: MAX_MESSAGE_CHARS - 1] + "…"
    return clean


def error_for_status(
    status: int, message: str, *, provider: str, retry_after: float | None = None
) -> ProviderError:
    """The generic HTTP status → error mapping; vendor modules refine it before calling this.

    ``message`` must already be sanitized.
    """
    text = f"{provider} returned HTTP {status}" + (f": {message}" if message else "")
    details = {"status_code": status}
    if status in (401, 403):
        return ProviderAuthError(text, provider=provider, details=details)
    if status == 402:
        return ProviderAuthError(
            f"{provider} account is out of credit (HTTP 402)" + (f": {message}" if message else ""),
            provider=provider,
            details=details,
        )
    if status == 429:
        return ProviderRateLimited(
            text, provider=provider, retry_after=retry_after, details=details
        )
    if status == 408 or status >= 500:
        return ProviderUnavailable(
            text, provider=provider, retry_after=retry_after, details=details
        )
    if 400 <= status < 500:
        return ProviderBadRequest(text, provider=provider, details=details)
    return ProviderProtocolError(
        f"{provider}: unexpected HTTP {status}", provider=provider, details=details
    )


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    creates_work: bool,
    follow_redirects: bool = False,
) -> httpx.Response:
    """Send ``request`` once and read the body; transport failures become provider errors.

    ``creates_work`` marks calls the vendor may bill (submit, synchronous generate): a
    failure after the request was sent then raises ``ProviderOutcomeUnknown``.
    Raises only :class:`ProviderError` subclasses; HTTP error statuses are returned.
    """
    what = f"{provider} {request.method} {request.url.path}"
    # Requests are built outside the client (pure builders), so its defaults (User-Agent…)
    # are merged here; client.send() alone would not add them.
    for name, value in client.headers.items():
        request.headers.setdefault(name, value)
    try:
        response = await client.send(request, follow_redirects=follow_redirects)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise ProviderUnavailable(
            f"{what}: could not connect ({type(exc).__name__})", provider=provider
        ) from exc
    except httpx.UnsupportedProtocol as exc:
        raise ProviderNotConfigured(
            f"{provider}: base URL has an unsupported scheme", provider=provider
        ) from exc
    except NetworkDisabled as exc:
        raise ProviderNotConfigured(
            f"{provider}: provider requests are disabled ({exc})", provider=provider
        ) from exc
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        timed_out = isinstance(exc, httpx.TimeoutException)
        if creates_work:
            raise ProviderOutcomeUnknown(
                f"{what}: {'no answer in time' if timed_out else 'connection lost'} after the "
                "request was sent; the vendor may have run and billed it",
                provider=provider,
            ) from exc
        if timed_out:
            raise ProviderTimeout(f"{what}: timed out", provider=provider) from exc
        raise ProviderUnavailable(
            f"{what}: connection failed ({type(exc).__name__})", provider=provider
        ) from exc
    except httpx.RequestError as exc:  # body decoding, too many redirects
        raise ProviderProtocolError(
            f"{what}: unreadable response ({type(exc).__name__})", provider=provider
        ) from exc
    log.debug("%s -> HTTP %s (%d bytes)", what, response.status_code, len(response.content))
    return response


def json_body(response: httpx.Response, *, provider: str) -> Any:
    """The parsed JSON body, or ``ProviderProtocolError`` when it is not JSON."""
    try:
        return response.json()
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ProviderProtocolError(
            f"{provider}: expected JSON, got {len(response.content)} unparseable bytes "
            f"({response.headers.get('content-type', 'no content type')})",
            provider=provider,
        ) from exc


def b64decode(value: object, *, provider: str) -> bytes:
    """Strict base64 decoding; anything else is a ``ProviderProtocolError``."""
    if not isinstance(value, str) or not value:
        raise ProviderProtocolError(
            f"{provider}: image data is not a base64 string", provider=provider
        )
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderProtocolError(
            f"{provider}: image data is not valid base64", provider=provider
        ) from exc


def load_image(data: bytes, *, provider: str) -> tuple[Image.Image, str]:
    """Fully decode ``data`` (PNG, JPEG or WebP): the loaded image and its media type.

    Raises ``ProviderProtocolError`` for empty, truncated, garbage or oversized images.
    """
    if not data:
        raise ProviderProtocolError(f"{provider}: empty image", provider=provider)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
            img.load()
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ProviderProtocolError(
            f"{provider}: image bytes are truncated or not an image ({len(data)} bytes)",
            provider=provider,
        ) from exc
    media_type = _MEDIA_TYPES.get(img.format or "")
    if media_type is None:
        raise ProviderProtocolError(
            f"{provider}: unsupported image format {img.format}", provider=provider
        )
    return img, media_type


def decode_image(data: bytes, *, provider: str) -> tuple[int, int, str]:
    """:func:`load_image`, reduced to ``(width, height, media_type)``."""
    img, media_type = load_image(data, provider=provider)
    return img.width, img.height, media_type


def _verified(data: bytes, provider: str, seed: int | None, filtered: bool) -> GeneratedImage:
    img, media_type = load_image(data, provider=provider)
    return GeneratedImage(
        media_type=media_type,
        width=img.width,
        height=img.height,
        data=data,
        pixels=normalise(img),
        seed=seed,
        content_filtered=filtered,
    )


async def verified_image(
    data: bytes, *, provider: str, seed: int | None = None, content_filtered: bool = False
) -> GeneratedImage:
    """The vendor's ``data`` fully decoded off the event loop (a 4 MP image takes tens of
    ms), as a :class:`GeneratedImage` carrying both the bytes and the decoded pixels, so
    post-processing never decodes them a second time. Raises as :func:`load_image`."""
    return await asyncio.to_thread(_verified, data, provider, seed, content_filtered)
