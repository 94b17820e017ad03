"""Webhooks: per-user endpoints, an outbox of deliveries, and the dispatcher.

A job's terminal event enqueues one delivery per endpoint of its owner in the very
transaction that ends the job (:meth:`Webhooks.enqueue`), so no event is lost to a crash.
The dispatcher claims due deliveries (a conditional update, so two processes never send
the same attempt at once), signs each attempt the Standard Webhooks way
(:mod:`~imagestudio.studio.webhook_policy`) and retries failures on :data:`SCHEDULE`
(about 27.5 hours in all) before giving up. Every attempt is logged on the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from imagestudio.credits.periods import Clock
from imagestudio.db.base import new_id, table_of
from imagestudio.db.job_models import WebhookDelivery, WebhookEndpoint
from imagestudio.db.session import Database
from imagestudio.errors import InvalidRequest, NotFound
from imagestudio.studio.webhook_policy import allowed_address, check_url, new_secret, sign

log = logging.getLogger("imagestudio.webhooks")
ENDPOINTS, DELIVERIES = table_of(WebhookEndpoint), table_of(WebhookDelivery)
# Seconds after each failed attempt (Svix's schedule): 8 attempts over ~27.5 h.
SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
MAX_ENDPOINTS = 10
TIMEOUT_S = 5.0
LEASE_S = 60.0
LOG_ENTRIES = 20


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    description: str
    created_at: dt.datetime
    secret: str | None = None  # only when just created


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    log: list[dict[str, Any]]
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class Webhooks:
    def __init__(self, db: Database, clock: Clock, *, development: bool = False,
                 schedule: Sequence[float] = SCHEDULE, poll_s: float = 1.0,
                 client: httpx.AsyncClient | None = None) -> None:
        self._db, self._clock = db, clock
        self.development = development
        self.schedule = tuple(schedule)
        self.poll_s = poll_s
        self._client = client
        self._wake = asyncio.Event()

    # ---- endpoints ---------------------------------------------------------------
    async def create(self, user_id: str, url: str, description: str = "") -> Endpoint:
        check_url(url, development=self.development)
        endpoint = Endpoint(new_id(), url, description, self._clock(), new_secret())

        def work(conn: Connection) -> None:
            count = conn.scalar(select(func.count()).select_from(ENDPOINTS)
                                .where(ENDPOINTS.c.user_id == user_id)) or 0
            if count >= MAX_ENDPOINTS:
                raise InvalidRequest(f"at most {MAX_ENDPOINTS} webhook endpoints per user",
                                     field="url")
            conn.execute(insert(ENDPOINTS).values(
                id=endpoint.id, user_id=user_id, url=url, secret=endpoint.secret,
                description=description, created_at=endpoint.created_at,
            ))

        await self._db.write(work)
        return endpoint

    async def endpoints(self, user_id: str) -> list[Endpoint]:
        query = (select(ENDPOINTS.c.id, ENDPOINTS.c.url, ENDPOINTS.c.description,
                        ENDPOINTS.c.created_at)
                 .where(ENDPOINTS.c.user_id == user_id).order_by(ENDPOINTS.c.created_at))
        async with self._db.engine.connect() as conn:
            return [Endpoint(*row) for row in await conn.execute(query)]

    async def delete(self, user_id: str, endpoint_id: str) -> None:
        def work(conn: Connection) -> int:
            return int(conn.execute(delete(ENDPOINTS).where(
                ENDPOINTS.c.id == endpoint_id, ENDPOINTS.c.user_id == user_id)).rowcount)

        if not await self._db.write(work):
            raise NotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id")

    async def deliveries(self, user_id: str, endpoint_id: str, limit: int = 50) -> list[Delivery]:
        """The endpoint's delivery log, newest first."""
        owned = [e.id for e in await self.endpoints(user_id)]
        if endpoint_id not in owned:
            raise NotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id")
        query = (select(DELIVERIES.c.id, DELIVERIES.c.endpoint_id, DELIVERIES.c.event_type,
                        DELIVERIES.c.status, DELIVERIES.c.attempts, DELIVERIES.c.next_attempt_at,
                        DELIVERIES.c.log, DELIVERIES.c.created_at, DELIVERIES.c.delivered_at)
                 .where(DELIVERIES.c.endpoint_id == endpoint_id)
                 .order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id).limit(limit))
        async with self._db.engine.connect() as conn:
            return [Delivery(*row) for row in await conn.execute(query)]

    # ---- the outbox --------------------------------------------------------------
    def enqueue(self, conn: Connection, user_id: str, event_type: str,
                data: dict[str, Any]) -> int:
        """One delivery of the event per endpoint of ``user_id``, in the caller's
        transaction; how many."""
        now = self._clock()
        endpoints = list(conn.execute(select(ENDPOINTS.c.id)
                                      .where(ENDPOINTS.c.user_id == user_id)).scalars())
        if not endpoints:
            return 0
        payload = {"type": event_type, "timestamp": now.isoformat(), "data": data}
        conn.execute(insert(DELIVERIES), [
            {"id": "msg_" + new_id(), "endpoint_id": endpoint_id, "user_id": user_id,
             "event_type": event_type, "payload": payload, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "log": [], "created_at": now, "delivered_at": None}
            for endpoint_id in endpoints
        ])
        return len(endpoints)

    def wake(self) -> None:
        self._wake.set()

    @staticmethod
    def prune(conn: Connection, created_before: dt.datetime, limit: int = 1000) -> int:
        """Delete up to ``limit`` finished deliveries (succeeded or failed, never one still
        being retried) created before ``created_before``: the delivery log's retention."""
        old = (select(DELIVERIES.c.id)
               .where(DELIVERIES.c.status != "pending", DELIVERIES.c.created_at < created_before)
               .limit(limit))
        ids = list(conn.execute(old).scalars())
        if not ids:
            return 0
        return conn.execute(delete(DELIVERIES).where(DELIVERIES.c.id.in_(ids))).rowcount or 0

    # ---- the dispatcher ----------------------------------------------------------
    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Webhooks]:
        """Deliver due webhooks every ``poll_s`` (or when woken) until the block ends.

        Its own HTTP client is made at the first delivery: most processes never send a
        webhook, and the client's TLS context cost about 30 ms of every start."""
        made: list[httpx.AsyncClient] = []

        def client() -> httpx.AsyncClient:
            if self._client is not None:
                return self._client
            if not made:
                made.append(httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False,
                                              trust_env=False))
            return made[0]

        async def loop() -> None:
            while True:
                try:
                    await self.deliver_due(client)
                except Exception:  # keep delivering after a transient database error
                    log.exception("webhook dispatch failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
                self._wake.clear()

        task = asyncio.create_task(loop(), name="webhook-dispatcher")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            for own in made:
                await own.aclose()

    async def deliver_due(
        self, client: httpx.AsyncClient | Callable[[], httpx.AsyncClient], limit: int = 20
    ) -> int:
        """Attempt every due delivery this process claims; how many were attempted.
        ``client`` may be a function making it, called only when something is due."""
        now = self._clock()
        query = (select(DELIVERIES.c.id, DELIVERIES.c.next_attempt_at, DELIVERIES.c.payload,
                        DELIVERIES.c.attempts, DELIVERIES.c.log, ENDPOINTS.c.url,
                        ENDPOINTS.c.secret)
                 .select_from(DELIVERIES.join(ENDPOINTS,
                                              ENDPOINTS.c.id == DELIVERIES.c.endpoint_id))
                 .where(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
                 .order_by(DELIVERIES.c.next_attempt_at).limit(limit))
        async with self._db.engine.connect() as conn:
            due = list(await conn.execute(query))
        claimed = [row for row in due if await self._claim(row.id, row.next_attempt_at, now)]
        if claimed:
            http = client if isinstance(client, httpx.AsyncClient) else client()
            await asyncio.gather(*(self._attempt(http, row) for row in claimed))
        return len(claimed)

    async def _claim(self, delivery_id: str, due_at: dt.datetime, now: dt.datetime) -> bool:
        lease = now + dt.timedelta(seconds=LEASE_S)

        def work(conn: Connection) -> bool:
            done = conn.execute(update(DELIVERIES).where(
                DELIVERIES.c.id == delivery_id, DELIVERIES.c.status == "pending",
                DELIVERIES.c.next_attempt_at == due_at,
            ).values(next_attempt_at=lease))
            return bool(done.rowcount)

        return await self._db.write(work)

    async def _attempt(self, client: httpx.AsyncClient, row: Any) -> None:
        body = json.dumps(row.payload, separators=(",", ":")).encode()
        started = time.monotonic()
        at = self._clock()
        status, error = None, ""
        try:
            status = await self.post(client, row.url, row.secret, row.id, body)
        except (httpx.HTTPError, OSError, InvalidRequest) as exc:
            error = (exc.message if isinstance(exc, InvalidRequest) else
                     f"{type(exc).__name__}: {exc}")[:300]
        ok = status is not None and 200 <= status < 300
        if status is not None and not ok:
            error = f"HTTP {status}" + (" (redirects are not followed)"
                                        if 300 <= status < 400 else "")
        attempts = row.attempts + 1
        entry = {"at": at.isoformat(), "status_code": status, "error": error,
                 "duration_ms": round((time.monotonic() - started) * 1000)}
        values: dict[str, Any] = {"attempts": attempts,
                                  "log": [*row.log, entry][-LOG_ENTRIES:]}
        if ok:
            values |= {"status": "succeeded", "delivered_at": self._clock(),
                       "next_attempt_at": None}
        elif attempts > len(self.schedule):
            values |= {"status": "failed", "next_attempt_at": None}
        else:
            delay = self.schedule[attempts - 1]
            values["next_attempt_at"] = self._clock() + dt.timedelta(seconds=delay)
        await self._db.write(lambda conn: conn.execute(
            update(DELIVERIES).where(DELIVERIES.c.id == row.id).values(**values)))

    async def post(self, client: httpx.AsyncClient, url: str, secret: str, msg_id: str,
                   body: bytes) -> int:
        """POST one signed attempt to the checked address; the HTTP status."""
        target = check_url(url, development=self.development)
        address = await self._address(target.host, target.port)
        host = f"[{address}]" if ":" in address else address
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "imagestudio-webhooks",
            "host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body),
        }
        request = client.build_request(
            "POST", f"{target.scheme}://{host}:{target.port}{target.path}", headers=headers,
            content=body, extensions={"sni_hostname": target.host},
        )
        response = await client.send(request, follow_redirects=False)
        await response.aclose()
        return response.status_code

    async def _address(self, host: str, port: int) -> str:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )
        addresses = [str(info[4][0]) for info in infos]
        refused = [a for a in addresses if not allowed_address(a, development=self.development)]
        if not addresses or refused:
            raise InvalidRequest(f"{host} resolves to a private or reserved address",
                                 field="url")
        return addresses[0]
