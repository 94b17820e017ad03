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
import ipaddress
import logging
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pybase64
import pydantic_core
from pydantic import SecretStr

from imagestudio import __version__
from imagestudio.imaging.errors import ImageDecodeError
from imagestudio.imaging.pillow import normalise
from imagestudio.imaging.validate import CheckedImage, ImageLimits, validate_image
from imagestudio.metrics import REGISTRY
from imagestudio.providers._aiohttp import AiohttpTransport
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

# What a vendor image may be: the formats vendors send, and the post-processing cap
# (generation.postprocess.MAX_DECODE_PIXELS) so everything accepted can be finished.
VENDOR_LIMITS = ImageLimits(max_pixels=64_000_000)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


_READ = httpx.ByteStream(b"")  # what a read response's stream is replaced by


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
    if transport is None:
        transport = AiohttpTransport()  # a third of httpx's own transport's CPU per call
    if not allow_network:
        transport = LoopbackOnly(transport)
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
    """Send ``request`` once and read the body (:func:`_send`), counted in the metrics:
    calls by vendor and outcome (the HTTP status, or the error's code) and latency."""
    started = time.perf_counter()
    outcome = "error"
    try:
        response = await _send(client, request, provider=provider, creates_work=creates_work,
                               follow_redirects=follow_redirects)
        outcome = str(response.status_code)
        return response
    except ProviderError as exc:
        outcome = exc.code
        raise
    finally:
        labels = {"vendor": provider}
        REGISTRY.observe("imagestudio_vendor_request_duration_seconds", labels,
                         time.perf_counter() - started)
        REGISTRY.inc("imagestudio_vendor_requests_total", {**labels, "outcome": outcome})
        if not outcome.isdigit() or int(outcome) >= 400:
            REGISTRY.inc("imagestudio_vendor_errors_total", labels)


async def _send(
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
    # httpx binds the (now read and closed) stream to its response: a reference cycle
    # that would keep the whole body alive until the next full garbage collection.
    response.stream = _READ
    return response


def json_body(response: httpx.Response, *, provider: str) -> Any:
    """The parsed JSON body, or ``ProviderProtocolError`` when it is not JSON.

    Parsed by pydantic-core's JSON reader (Rust): a 4 MB body of base64 in about 1 ms,
    where the standard library takes 15-20 ms.
    """
    try:
        return pydantic_core.from_json(response.content)
    except ValueError as exc:  # malformed JSON and invalid UTF-8 alike
        raise ProviderProtocolError(
            f"{provider}: expected JSON, got {len(response.content)} unparseable bytes "
            f"({response.headers.get('content-type', 'no content type')})",
            provider=provider,
        ) from exc


def b64decode(value: object, *, provider: str) -> bytes:
    """Strict base64 decoding (SIMD, by pybase64: about 20x the standard library);
    line breaks are tolerated, anything else is a ``ProviderProtocolError``."""
    if not isinstance(value, str) or not value:
        raise ProviderProtocolError(
            f"{provider}: image data is not a base64 string", provider=provider
        )
    try:
        return pybase64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error included
        pass
    try:
        return pybase64.b64decode("".join(value.split()), validate=True)
    except ValueError as exc:
        raise ProviderProtocolError(
            f"{provider}: image data is not valid base64", provider=provider
        ) from exc


def check_image(data: bytes, *, provider: str) -> CheckedImage:
    """``data`` checked by the imaging layer's validator within :data:`VENDOR_LIMITS`.

    Raises ``ProviderProtocolError`` for empty, truncated, garbage or oversized images.
    """
    try:
        return validate_image(data, VENDOR_LIMITS)
    except ImageDecodeError as exc:
        raise ProviderProtocolError(
            f"{provider}: image bytes are truncated, oversized or not an image "
            f"({len(data)} bytes): {exc.message}",
            provider=provider,
        ) from None


def decode_image(data: bytes, *, provider: str) -> tuple[int, int, str]:
    """:func:`check_image`, reduced to ``(width, height, media_type)``."""
    checked = check_image(data, provider=provider)
    return checked.width, checked.height, checked.media_type


def _verified(data: bytes, provider: str, seed: int | None, filtered: bool) -> GeneratedImage:
    checked = check_image(data, provider=provider)
    return GeneratedImage(
        media_type=checked.media_type,
        width=checked.width,
        height=checked.height,
        data=checked.data,
        pixels=None if checked.pixels is None else normalise(checked.pixels),
        seed=seed,
        content_filtered=filtered,
        validated=True,
    )


async def verified_image(
    data: bytes, *, provider: str, seed: int | None = None, content_filtered: bool = False
) -> GeneratedImage:
    """The vendor's ``data`` validated off the event loop, as a :class:`GeneratedImage`
    marked ``validated``: a PNG by the lossless pass (no pixels decoded), a JPEG or WebP
    by a bounded decode whose pixels it carries, so post-processing never decodes or
    checks them a second time. Bytes after the image's end are dropped. Raises as
    :func:`check_image`."""
    return await asyncio.to_thread(_verified, data, provider, seed, content_filtered)
