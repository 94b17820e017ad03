from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime

import httpx
import pytest
from PIL import ExifTags, Image
from pydantic import SecretStr

from imagestudio import __version__
from imagestudio.emulators._base import render_image, truncate
from imagestudio.imaging import png
from imagestudio.providers._http import (
    MAX_MESSAGE_CHARS,
    b64decode,
    build_http_client,
    decode_image,
    error_for_status,
    parse_retry_after,
    redact,
    sanitize,
    send,
    verified_image,
)
from imagestudio.providers._vendor import reject_unsupported
from imagestudio.providers.base import ProviderRequest, SizeRequest
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

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": " 2.5 "}, 2.5),
        ({"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"}, 30.0),
        ({"Retry-After": "Wed, 25 Nov 2026 11:59:00 GMT"}, 0.0),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "inf"}, None),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"retry-after-ms": "nope", "Retry-After": "9"}, 9.0),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers), now=NOW) == expected


def test_redact_and_sanitize_remove_the_key_and_control_characters() -> None:
    key = SecretStr("sk-secret-123")
    text = "bad key sk-secret-123\r\nagain: sk-secret-123\x00" + "x" * 1000

    assert redact("sk-secret-123!", key) == "[REDACTED]!"
    assert redact("nothing to hide", None) == "nothing to hide"
    clean = sanitize(text, key)
    assert "sk-secret-123" not in clean
    assert clean.startswith("bad key [REDACTED] again: [REDACTED] x")
    assert len(clean) == MAX_MESSAGE_CHARS
    assert "\n" not in clean and "\x00" not in clean


@pytest.mark.parametrize(
    ("fmt", "media_type"), [("png", "image/png"), ("jpeg", "image/jpeg"), ("webp", "image/webp")]
)
def test_decode_image_reports_size_and_media_type(fmt: str, media_type: str) -> None:
    assert decode_image(render_image("p", 1, 40, 30, fmt), provider="t") == (40, 30, media_type)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<html>nope</html>",
        truncate(render_image("p", 2, 200, 100)),
        truncate(render_image("p", 2, 200, 100, "jpeg")),
    ],
    ids=["empty", "garbage", "truncated-png", "truncated-jpeg"],
)
def test_decode_image_refuses_broken_bytes(data: bytes) -> None:
    with pytest.raises(ProviderProtocolError):
        decode_image(data, provider="t")


async def test_verified_image_checks_a_png_without_decoding_it() -> None:
    data = render_image("p", 1, 40, 30)  # a palette PNG
    image = await verified_image(data, provider="t", seed=9, content_filtered=True)
    assert image.data == data and image.media_type == "image/png" and image.validated
    assert (image.width, image.height, image.seed, image.content_filtered) == (40, 30, 9, True)
    assert image.pixels is None  # the lossless pass allocates no image


async def test_verified_image_carries_the_normalised_pixels_of_a_jpeg() -> None:
    data = render_image("p", 1, 40, 30, "jpeg")
    image = await verified_image(data, provider="t")
    assert image.data == data and image.media_type == "image/jpeg" and image.validated
    assert image.pixels is not None and image.pixels.mode == "RGB"
    assert image.pixels.size == (40, 30)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
async def test_verified_image_drops_a_polyglots_trailing_html(fmt: str) -> None:
    data = render_image("p", 1, 40, 30, fmt)
    image = await verified_image(data + b"<html><script>alert(1)</script></html>", provider="t")
    assert image.data == data


def test_a_vendor_png_bomb_is_refused_from_its_header() -> None:
    with pytest.raises(ProviderProtocolError, match="limit"):
        decode_image(_png_declaring(20_000, 20_000), provider="t")


async def test_verified_image_applies_exif_orientation_like_the_engine() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (9, 9, 9)).save(buffer, "JPEG", exif=exif.tobytes())
    image = await verified_image(buffer.getvalue(), provider="t")
    assert (image.width, image.height) == (40, 20)  # as the vendor sent it
    assert image.pixels is not None and image.pixels.size == (20, 40)


async def test_verified_image_refuses_truncated_bytes() -> None:
    with pytest.raises(ProviderProtocolError):
        await verified_image(truncate(render_image("p", 2, 200, 100)), provider="t")


def test_decode_image_refuses_formats_vendors_do_not_send() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="GIF")

    with pytest.raises(ProviderProtocolError):
        decode_image(buffer.getvalue(), provider="t")


def _png_declaring(width: int, height: int) -> bytes:
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idat = png.chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return png.SIGNATURE + header + idat + png.chunk(b"IEND", b"")


def test_b64decode_is_strict() -> None:
    assert b64decode("aGk=\n", provider="t") == b"hi"
    for bad in ("@@@", "", None, 5):
        with pytest.raises(ProviderProtocolError):
            b64decode(bad, provider="t")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ProviderBadRequest),
        (401, ProviderAuthError),
        (402, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderBadRequest),
        (408, ProviderUnavailable),
        (413, ProviderBadRequest),
        (422, ProviderBadRequest),
        (429, ProviderRateLimited),
        (500, ProviderUnavailable),
        (503, ProviderUnavailable),
        (302, ProviderProtocolError),
    ],
)
def test_error_for_status(status: int, error: type[ProviderError]) -> None:
    exc = error_for_status(status, "why", provider="t", retry_after=3)

    assert type(exc) is error
    assert exc.provider == "t"
    if error in (ProviderRateLimited, ProviderUnavailable):
        assert exc.retry_after == 3


def _raising(exc_type: type[Exception]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)  # type: ignore[call-arg]

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("exc_type", "creates_work", "error"),
    [
        (httpx.ConnectError, True, ProviderUnavailable),
        (httpx.ConnectTimeout, True, ProviderUnavailable),
        (httpx.PoolTimeout, True, ProviderUnavailable),
        (httpx.ReadTimeout, True, ProviderOutcomeUnknown),
        (httpx.WriteTimeout, True, ProviderOutcomeUnknown),
        (httpx.RemoteProtocolError, True, ProviderOutcomeUnknown),
        (httpx.ReadError, True, ProviderOutcomeUnknown),
        (httpx.ReadTimeout, False, ProviderTimeout),
        (httpx.RemoteProtocolError, False, ProviderUnavailable),
        (httpx.UnsupportedProtocol, False, ProviderNotConfigured),
        (httpx.TooManyRedirects, False, ProviderProtocolError),
    ],
)
async def test_send_classifies_transport_failures(
    exc_type: type[Exception], creates_work: bool, error: type[ProviderError]
) -> None:
    async with httpx.AsyncClient(transport=_raising(exc_type)) as client:
        with pytest.raises(error) as info:
            await send(
                client,
                httpx.Request("POST", "https://v.test/x"),
                provider="t",
                creates_work=creates_work,
            )

    assert type(info.value) is error
    assert info.value.retryable == (error in (ProviderUnavailable, ProviderTimeout))


async def test_send_returns_error_statuses_untouched() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500, text="oops"))
    async with httpx.AsyncClient(transport=transport) as client:
        response = await send(
            client, httpx.Request("GET", "https://v.test/"), provider="t", creates_work=False
        )

    assert response.status_code == 500
    assert response.text == "oops"


async def test_build_http_client_sets_timeouts_and_user_agent() -> None:
    settings = ProviderSettings(
        name="t", api_key=None, base_url="https://v.test", timeout_s=42, max_concurrency=1
    )
    async with build_http_client(settings) as client:
        assert client.timeout.connect == 10
        assert client.timeout.read == 42
        assert client.headers["user-agent"] == f"imagestudio/{__version__}"


async def test_send_adds_the_client_defaults_to_prebuilt_requests() -> None:
    seen: list[httpx.Request] = []
    settings = ProviderSettings(
        name="t", api_key=None, base_url="https://v.test", timeout_s=5, max_concurrency=1
    )
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))
    async with build_http_client(settings, transport=transport) as client:
        request = httpx.Request("GET", "https://v.test/", headers={"accept": "image/png"})
        await send(client, request, provider="t", creates_work=False)

    assert seen[0].headers["user-agent"] == f"imagestudio/{__version__}"
    assert seen[0].headers["accept"] == "image/png"


def test_reject_unsupported_names_every_offending_field() -> None:
    request = ProviderRequest(
        "m", "p", SizeRequest(8, 8), n=3, seed=1, steps=0, options={"extra": 1, "ok": 2}
    )

    with pytest.raises(ProviderBadRequest) as info:
        reject_unsupported(request, {"steps"}, provider="t", options={"ok"}, max_n=2)

    assert (
        str(info.value) == "t model 'm' does not accept: seed, options.extra, n=3 (max 2 per call)"
    )
    reject_unsupported(request, {"seed", "steps"}, provider="t", options={"ok", "extra"}, max_n=3)


async def test_network_disabled_client_refuses_non_loopback_hosts() -> None:
    settings = ProviderSettings(
        name="t", api_key=None, base_url="https://v.test", timeout_s=5, max_concurrency=1
    )
    inner = httpx.MockTransport(lambda request: httpx.Response(204))
    async with build_http_client(settings, transport=inner, allow_network=False) as client:
        with pytest.raises(ProviderNotConfigured, match="disabled.*api.openai.com"):
            await send(
                client,
                httpx.Request("POST", "https://api.openai.com/v1/x"),
                provider="t",
                creates_work=True,
            )
        for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]:9/x"):
            response = await send(
                client, httpx.Request("GET", url), provider="t", creates_work=False
            )
            assert response.status_code == 204
