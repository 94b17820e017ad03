"""A studio per test over ``migrated_database_url`` (SQLite and PostgreSQL) with an injected clock.

Hugging Face and Stability are keyed and served by scriptable :class:`FakeProvider`s (no
HTTP); the offline renderer is there too. Requests go through the real API app over
``httpx.ASGITransport``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.api.conftest import server_settings

from imagestudio.api.app import create_app
from imagestudio.container import Persistence, Services, build_persistence, build_services
from imagestudio.credits import repository as repo
from imagestudio.credits.plans import PlanTable
from imagestudio.db.credit_models import CreditAccount, LedgerEntry
from imagestudio.providers.fake import FakeProvider
from imagestudio.providers.local import LocalProvider
from imagestudio.settings import Settings

# A cheap paid model with free-form sizes: one 256×256 image costs FLUX_MICROS.
FLUX = {"provider": "huggingface", "model": "huggingface/flux-schnell", "width": 256,
        "height": 256}
FLUX_MICROS = 1_200


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Studio:
    app: FastAPI
    client: httpx.AsyncClient
    services: Services
    clock: Clock
    hf: FakeProvider
    stability: FakeProvider

    @property
    def persistence(self) -> Persistence:
        persistence = self.services.persistence
        assert persistence is not None
        return persistence

    async def user(self, name: str, plan: str = "pro", credit: int = 0) -> dict[str, str]:
        created = await self.persistence.accounts.create_user(name, plan=plan)
        if credit:
            await self.persistence.credits.admin.grant(name, credit, note="test")
        return {"Authorization": f"Bearer {created.key}"}

    async def create(self, headers: dict[str, str], **body: Any) -> httpx.Response:
        payload = {"prompt": "a red bicycle", **FLUX, **body}
        return await self.client.post("/api/image-studio/create", json=payload, headers=headers)

    async def preflight(self, headers: dict[str, str], **body: Any) -> dict[str, Any]:
        payload = {"prompt": "a red bicycle", **FLUX, **body}
        response = await self.client.post(
            "/api/image-studio/preflight", json=payload, headers=headers
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def usage(self, headers: dict[str, str]) -> dict[str, Any]:
        response = await self.client.get("/api/image-studio/usage", headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def ledger(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        before: str | None = None
        while True:
            params = {"limit": 200, **({"before": before} if before else {})}
            page = (await self.client.get(
                "/api/image-studio/ledger", params=params, headers=headers
            )).json()
            entries += page["entries"]
            before = page["next_before"]
            if before is None:
                return entries

    async def books(self) -> Books:
        """Every account's balance and held total next to its ledger sums."""
        async with self.persistence.db.engine.connect() as conn:
            accounts = (await conn.execute(select(
                CreditAccount.user_id, CreditAccount.balance_micros, CreditAccount.held_micros
            ))).all()
            sums = dict((await conn.execute(
                select(LedgerEntry.user_id, func.sum(LedgerEntry.amount_micros))
                .group_by(LedgerEntry.user_id)
            )).all())
            held = dict((await conn.execute(
                select(LedgerEntry.user_id, func.sum(LedgerEntry.held_micros))
                .group_by(LedgerEntry.user_id)
            )).all())
            open_holds = await conn.run_sync(repo.open_holds)
        return Books(
            {u: (b, h) for u, b, h in accounts},
            {u: int(v) for u, v in sums.items()},
            {u: int(v) for u, v in held.items()},
            open_holds,
        )


@dataclass(frozen=True)
class Books:
    accounts: dict[str, tuple[int, int]]
    ledger_amounts: dict[str, int]
    ledger_held: dict[str, int]
    open_holds: int

    def assert_balanced(self) -> None:
        for user, (balance, held) in self.accounts.items():
            assert balance == self.ledger_amounts.get(user, 0), user
            assert held == self.ledger_held.get(user, 0), user
            assert balance - held >= 0 and held >= 0, user


StudioFactory = Callable[..., Any]


@pytest.fixture
async def studio_factory(
    migrated_database_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    opened: list[tuple[Services, Any, httpx.AsyncClient]] = []

    async def make(*, plans: PlanTable | None = None, clock: Clock | None = None,
                   http_clients: dict[str, httpx.AsyncClient] | None = None,
                   **settings_overrides: Any) -> Studio:
        clock = clock or Clock()
        values: dict[str, Any] = {
            "huggingface_api_key": "test-hf", "stability_api_key": "test-st",
            "retry_max_attempts": 1, **settings_overrides,
        }
        settings = Settings(
            _env_file=None, data_dir=tmp_path / "data", database_url=migrated_database_url, **values
        )
        hf, stability = FakeProvider(name="huggingface"), FakeProvider(name="stability")
        persistence = build_persistence(settings, clock=clock, plans=plans)
        services = build_services(
            settings, http_clients=http_clients or {}, persistence=persistence,
            providers={"local": LocalProvider(), "huggingface": hf, "stability": stability},
        )
        app = create_app(settings, services, server_settings())
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://studio.test")
        opened.append((services, lifespan, client))
        return Studio(app, client, services, clock, hf, stability)

    yield make
    for services, lifespan, client in reversed(opened):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
        await services.aclose()


@pytest.fixture
async def studio(studio_factory: Callable[..., Any]) -> Studio:
    made: Studio = await studio_factory()
    return made
