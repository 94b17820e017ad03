"""Webhooks end to end on loopback: real receivers (uvicorn in a thread) verify every
signature with the ``standardwebhooks`` library, one answers 500 twice and still gets
the event, one redirects and is not followed; plus the URL policy of production."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.credits.conftest import FLUX_MICROS, Studio, StudioFactory
from tests.studio.test_jobs import submit, until

from imagestudio.db.session import Database
from imagestudio.errors import InvalidRequest
from imagestudio.studio import webhooks
from imagestudio.studio.webhook_policy import allowed_address, check_url, sign


@dataclass
class Receiver:
    base: str
    answers: dict[str, list[int]]
    seen: dict[str, list[tuple[dict[str, str], bytes]]] = field(default_factory=dict)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    answers = {"a": [], "b": [500, 500], "c": [307, 307, 307, 307]}
    state = Receiver("", answers)

    async def hook(request: Request) -> Response:
        name = request.path_params["name"]
        state.seen.setdefault(name, []).append((dict(request.headers), await request.body()))
        script = state.answers.get(name, [])
        status = script.pop(0) if script else 204
        headers = {"location": f"{state.base}/a"} if status in (301, 302, 307) else {}
        return Response(status_code=status, headers=headers)

    app = Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    state.base = f"http://127.0.0.1:{sock.getsockname()[1]}/hooks"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


async def test_signed_deliveries_are_retried_until_received(
    studio_factory: StudioFactory, receiver: Receiver
) -> None:
    studio: Studio = await studio_factory(webhook_development=True)
    hooks = studio.app.state.api.webhooks
    hooks.schedule, hooks.poll_s = (1.0, 1.0, 1.0, 1.0, 1.0), 0.05
    ann = await studio.user("ann", credit=10 * FLUX_MICROS)
    secrets = {}
    for name in ("a", "b", "c"):
        made = await studio.client.post("/api/image-studio/webhooks", headers=ann,
                                        json={"url": f"{receiver.base}/{name}"})
        assert made.status_code == 201, made.text
        secrets[name] = made.json()["secret"]
        assert secrets[name].startswith("whsec_")
    listed = (await studio.client.get("/api/image-studio/webhooks", headers=ann)).json()
    assert len(listed["webhooks"]) == 3 and all(w["secret"] is None for w in listed["webhooks"])

    job = await submit(studio, ann)
    await until(studio, ann, job["id"])
    for _ in range(300):  # the injected clock moves only when told: one retry step a turn
        if len(receiver.seen.get("b", [])) == 3 and len(receiver.seen.get("c", [])) >= 3:
            break
        studio.clock.advance(seconds=1.5)
        hooks.wake()
        await asyncio.sleep(0.05)

    assert len(receiver.seen["a"]) == 1 and len(receiver.seen["b"]) == 3
    for name, received in receiver.seen.items():
        for headers, body in received:
            payload: Any = Webhook(secrets[name]).verify(body, headers)
            assert payload["type"] == "job.succeeded" and payload["data"]["id"] == job["id"]
    assert len({h["webhook-id"] for h, _ in receiver.seen["b"]}) == 1  # one message, retried
    log = (await studio.client.get(
        f"/api/image-studio/webhooks/{listed['webhooks'][1]['id']}/deliveries", headers=ann,
    )).json()["deliveries"]
    assert [(d["status"], d["attempts"]) for d in log] == [("succeeded", 3)]
    assert [e["status_code"] for e in log[0]["log"]] == [500, 500, 204]
    redirected = (await studio.client.get(
        f"/api/image-studio/webhooks/{listed['webhooks'][2]['id']}/deliveries", headers=ann,
    )).json()["deliveries"][0]
    assert redirected["status"] == "pending" and redirected["attempts"] >= 3
    assert "redirects are not followed" in redirected["log"][0]["error"]

    gone = await studio.client.delete(
        f"/api/image-studio/webhooks/{listed['webhooks'][0]['id']}", headers=ann)
    assert gone.status_code == 204
    other = await studio.user("bob")
    assert (await studio.client.delete(
        f"/api/image-studio/webhooks/{listed['webhooks'][1]['id']}", headers=other,
    )).status_code == 404


async def test_a_refused_url_is_a_422_naming_the_field(studio: Studio) -> None:
    ann = await studio.user("ann")
    for url in ("http://example.com/hook", "ftp://example.com", "https://10.0.0.7/x",
                "https://127.0.0.1/x", "https://localhost/x"):
        response = await studio.client.post("/api/image-studio/webhooks", headers=ann,
                                            json={"url": url})
        assert response.status_code == 422, url
        assert "url" in response.text


def test_development_allows_loopback_http_only() -> None:
    assert check_url("http://127.0.0.1:9000/h", development=True).port == 9000
    assert check_url("https://10.1.2.3/h", development=True).host == "10.1.2.3"
    with pytest.raises(InvalidRequest):
        check_url("http://10.1.2.3/h", development=True)
    assert check_url("https://hooks.example.com/h?x=1", development=False).path == "/h?x=1"


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.1.9", "172.16.0.3", "127.0.0.1",
                                     "169.254.169.254", "::1", "fd00::1", "::ffff:10.0.0.1",
                                     "100.64.0.1", "0.0.0.0"])
def test_private_and_reserved_addresses_are_refused_in_production(address: str) -> None:
    assert not allowed_address(address, development=False)
    assert allowed_address("93.184.216.34", development=False)


def test_the_signature_is_the_standard_one() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    # The example of the Standard Webhooks specification.
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


async def test_the_dispatcher_makes_no_http_client_until_something_is_due(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[httpx.AsyncClient] = []

    class Counted(httpx.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(webhooks.httpx, "AsyncClient", Counted)
    hooks = webhooks.Webhooks(db, lambda: dt.datetime.now(dt.UTC), poll_s=0.01)
    async with hooks.running():
        await asyncio.sleep(0.1)  # several polls, nothing due
    assert made == []
