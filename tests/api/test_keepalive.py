"""Issue 11 (7): an unhandled 500 closed the keep-alive connection, so the client's next
request on it failed. Checked on a real uvicorn server on a loopback port, with one
connection carrying both requests."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from tests.api.conftest import Api


@pytest.fixture
async def port(api: Api) -> AsyncIterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(api.app, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, key: str
) -> tuple[int, dict[str, str], bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {key}\r\n"
                 "Connection: keep-alive\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 5)
    return int(status_line.split()[1]), headers, body


async def test_an_unhandled_500_keeps_the_connection_open(
    api: Api, port: int, caplog: pytest.LogCaptureFixture
) -> None:
    @api.app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    key = api.alice["Authorization"]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with caplog.at_level(logging.ERROR):
            status, headers, body = await _exchange(reader, writer, "/boom", key)
        assert status == 500 and headers.get("connection") != "close"
        assert json.loads(body)["error"]["code"] == "internal_error"
        assert b"secret" not in body
        assert [r.getMessage() for r in caplog.records if r.name == "imagestudio.api"] == [
            "unhandled error on GET /boom"
        ]
        for _ in range(2):  # the same connection serves the next requests
            status, _, body = await _exchange(reader, writer, "/api/image-studio/usage", key)
            assert status == 200 and b"balance" in body
    finally:
        writer.close()
