"""The aiohttp transport under the vendor clients, over real sockets on loopback: what
reaches the server, what comes back, and how each failure is classified by ``send``."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from pydantic import SecretStr

from imagestudio.providers._http import build_http_client, send
from imagestudio.providers.errors import (
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderTimeout,
    ProviderUnavailable,
)
from imagestudio.settings import ProviderSettings

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _settings(timeout_s: float = 5.0) -> ProviderSettings:
    return ProviderSettings(
        name="t", api_key=SecretStr("k"), base_url="http://127.0.0.1", timeout_s=timeout_s,
        max_concurrency=1,
    )


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await handler(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(closing, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_request_and_response_pass_through_unchanged(serve) -> None:  # type: ignore[no-untyped-def]
    seen: list[bytes] = []
    body = gzip.compress(b'{"ok": true}')

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Encoding: gzip\r\n"
            b"X-Request-Id: r-1\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            + body
        )
        await writer.drain()

    base = await serve(handler)
    async with build_http_client(_settings(), allow_network=False) as client:
        response = await send(
            client, httpx.Request("POST", f"{base}/v1/x", json={"a": 1}, headers={"X-K": "v"}),
            provider="t", creates_work=True,
        )
    assert response.status_code == 302  # not followed
    assert response.json() == {"ok": True}  # gzip decoded once
    assert response.headers["x-request-id"] == "r-1"
    request = seen[0].lower()
    assert request.startswith(b"post /v1/x http/1.1")
    assert b"x-k: v" in request and b"user-agent: imagestudio/" in request
    assert request.endswith((b'{"a":1}', b'{"a": 1}'))


@pytest.mark.parametrize("bypassed", [False, True], ids=["proxied", "no-proxy"])
async def test_proxies_come_from_the_environment(serve, monkeypatch, bypassed: bool) -> None:  # type: ignore[no-untyped-def]
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    base = await serve(proxy)
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", base)
    # "vendor.test" is reachable only through the proxy; with NO_PROXY naming it, the
    # client connects to it directly, which fails before anything is sent.
    monkeypatch.setenv("NO_PROXY", "vendor.test" if bypassed else "elsewhere.test")
    async with build_http_client(_settings()) as client:
        request = httpx.Request("POST", "http://vendor.test:8080/v1/x?a=b", json={"a": 1})
        if bypassed:
            with pytest.raises(ProviderUnavailable):
                await send(client, request, provider="t", creates_work=True)
        else:
            response = await send(client, request, provider="t", creates_work=True)
            assert response.content == b"ok"
    if bypassed:
        assert seen == []
    else:
        assert seen[0].lower().startswith(b"post http://vendor.test:8080/v1/x?a=b http/1.1")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)  # then the wrapper closes the connection


async def _never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await reader.read()  # until the client gives up and closes


@pytest.mark.parametrize(
    ("handler", "method", "creates_work", "error"),
    [
        (None, "POST", True, ProviderUnavailable),  # connection refused: nothing was sent
        (_hang_up, "POST", True, ProviderOutcomeUnknown),
        (_hang_up, "GET", False, ProviderUnavailable),
        (_never_answer, "POST", True, ProviderOutcomeUnknown),
        (_never_answer, "GET", False, ProviderTimeout),
    ],
    ids=["refused", "hang-up-submit", "hang-up-get", "timeout-submit", "timeout-get"],
)
async def test_failures_are_classified_by_what_the_vendor_may_have_done(
    serve, handler: Handler | None, method: str, creates_work: bool,  # type: ignore[no-untyped-def]
    error: type[ProviderError],
) -> None:
    base = await serve(handler) if handler else f"http://127.0.0.1:{_closed_port()}"
    async with build_http_client(_settings(timeout_s=0.3), allow_network=False) as client:
        with pytest.raises(error) as info:
            await send(
                client, httpx.Request(method, f"{base}/x", content=b"{}" if creates_work else None),
                provider="t", creates_work=creates_work,
            )
    assert type(info.value) is error
