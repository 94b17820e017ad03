"""The body limit: a declared length within it passes untouched, a chunked body is counted
even when it also declares a small Content-Length."""

from __future__ import annotations

from typing import Any

from starlette.types import Message, Receive, Scope, Send

from imagestudio.api.middleware import BodySizeLimit

LIMIT = 100


async def _echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


async def _call(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[Message]:
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
               for i, c in enumerate(chunks)]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await BodySizeLimit(_echo_length, lambda _scope: LIMIT)(scope, receive, send)
    return sent


async def test_a_declared_length_within_the_limit_reaches_the_app() -> None:
    sent = await _call([(b"content-length", b"80")], [b"x" * 40, b"x" * 40])
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"80"


async def test_a_chunked_body_is_counted_whatever_length_it_declares() -> None:
    headers = [(b"content-length", b"10"), (b"transfer-encoding", b"chunked")]
    sent = await _call(headers, [b"x" * 60, b"x" * 60])
    assert sent[0]["status"] == 413
    assert [m for m in sent if m["type"] == "http.response.start"] == [sent[0]]


async def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    sent = await _call([(b"content-length", b"101")], [b"x" * 101])
    assert sent[0]["status"] == 413
