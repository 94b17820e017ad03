"""Free heap memory goes back to the OS when no request is in flight, at most once per
interval: never while requests overlap, a trim that is not due yet is deferred, and a
deferred one is skipped if the server is busy again by then."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from imagestudio.api.app import create_app
from imagestudio.api.idle_trim import TrimWhenIdle
from imagestudio.imaging.memory import release_free_memory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Trims:
    """The trim function: counts its calls (from the executor thread) and wakes a waiter."""

    def __init__(self) -> None:
        self.count = 0
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def __call__(self) -> bool:
        self.count += 1
        self.loop.call_soon_threadsafe(self.event.set)
        return True

    async def next(self) -> None:
        await asyncio.wait_for(self.event.wait(), timeout=10)
        self.event.clear()


class Gate:
    """An inner app whose requests end when the test says so."""

    def __init__(self) -> None:
        self.release: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.release.setdefault(scope["path"], asyncio.Event()).wait()


def _scope(path: str, kind: str = "http") -> dict[str, Any]:
    return {"type": kind, "method": "GET", "path": path, "headers": []}


async def _nothing() -> dict[str, Any]:
    return {"type": "http.disconnect"}


async def _ignore(message: Any) -> None:
    return None


async def _settle() -> None:
    for _ in range(5):  # let started requests reach the gate and ended ones unwind
        await asyncio.sleep(0)


def _start(app: TrimWhenIdle, gate: Gate, path: str) -> asyncio.Task[None]:
    gate.release.setdefault(path, asyncio.Event())
    return asyncio.create_task(app(_scope(path), _nothing, _ignore))


async def _end(gate: Gate, task: asyncio.Task[None], path: str) -> None:
    gate.release[path].set()
    await task


async def _pause() -> None:
    """Long enough for pending checks (real delays of at most 10 ms here) to run."""
    await asyncio.sleep(0.1)
    await _settle()


async def test_the_trim_waits_for_the_last_request_in_flight():
    trims, clock, gate = Trims(), Clock(), Gate()
    app = TrimWhenIdle(gate, trim=trims, quiet_s=0.0, min_interval_s=0.0, clock=clock)
    a, b = _start(app, gate, "/a"), _start(app, gate, "/b")
    await _settle()
    await _end(gate, a, "/a")
    await _pause()
    assert trims.count == 0  # /b still in flight
    await _end(gate, b, "/b")
    await trims.next()
    assert trims.count == 1


async def test_the_server_must_stay_quiet_before_a_trim():
    trims, clock, gate = Trims(), Clock(), Gate()
    app = TrimWhenIdle(gate, trim=trims, quiet_s=0.01, min_interval_s=0.0, clock=clock)
    await _end(gate, _start(app, gate, "/1"), "/1")
    await _pause()
    assert trims.count == 0  # no time has passed on the clock
    clock.now += 0.008
    await _end(gate, _start(app, gate, "/2"), "/2")  # quiet again from here
    clock.now += 0.008  # 16 ms after /1, 8 ms after /2
    await _pause()
    assert trims.count == 0
    clock.now += 0.002
    await trims.next()
    assert trims.count == 1


async def test_trims_are_rate_limited_and_a_due_one_waits_for_its_turn():
    trims, clock, gate = Trims(), Clock(), Gate()
    app = TrimWhenIdle(gate, trim=trims, quiet_s=0.0, min_interval_s=2.0, clock=clock)
    await _end(gate, _start(app, gate, "/1"), "/1")
    await trims.next()
    clock.now += 1.99  # quiet again 1.99 s later: not due for another 10 ms
    await _end(gate, _start(app, gate, "/2"), "/2")
    await _end(gate, _start(app, gate, "/3"), "/3")
    await _pause()
    assert trims.count == 1
    clock.now += 0.01
    await trims.next()  # the waiting check, on the loop's timer
    await _pause()
    assert trims.count == 2  # one trim for the two quiet moments


async def test_a_waiting_trim_is_dropped_while_busy_and_the_next_quiet_moment_runs_it():
    trims, clock, gate = Trims(), Clock(), Gate()
    app = TrimWhenIdle(gate, trim=trims, quiet_s=0.0, min_interval_s=0.01, clock=clock)
    await _end(gate, _start(app, gate, "/1"), "/1")
    await trims.next()
    await _end(gate, _start(app, gate, "/2"), "/2")  # waits for its turn
    busy = _start(app, gate, "/busy")
    await _settle()
    clock.now += 1.0
    await _pause()
    assert trims.count == 1  # dropped: /busy is in flight
    await _end(gate, busy, "/busy")
    await trims.next()
    assert trims.count == 2


async def test_lifespan_and_websocket_scopes_are_not_requests():
    trims, clock = Trims(), Clock()
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    app = TrimWhenIdle(inner, trim=trims, clock=clock)
    await app(_scope("/", "lifespan"), _nothing, _ignore)
    await app(_scope("/", "websocket"), _nothing, _ignore)
    await _settle()
    assert seen == ["lifespan", "websocket"]
    assert trims.count == 0


async def test_a_failed_request_still_ends():
    trims, clock = Trims(), Clock()

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    app = TrimWhenIdle(broken, trim=trims, quiet_s=0.0, min_interval_s=0.0, clock=clock)
    with pytest.raises(RuntimeError, match="boom"):
        await app(_scope("/"), _nothing, _ignore)
    await trims.next()
    assert trims.count == 1


def test_the_app_returns_free_memory_when_idle():
    app = create_app()
    layers = [m for m in app.user_middleware if m.cls is TrimWhenIdle]
    assert len(layers) == 1
    assert app.user_middleware[0].cls is TrimWhenIdle  # outermost of the app's own
    assert layers[0].kwargs.get("trim", release_free_memory) is release_free_memory
