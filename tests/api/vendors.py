"""An API app whose OpenAI and Stability vendors are their emulators (both keyed), for the
``/v1`` tests; ``app`` is exposed so a test can also serve it on a loopback socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from tests.api.conftest import USER_CREDIT_MICROS, server_settings

from imagestudio.api.app import create_app
from imagestudio.container import build_services
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.settings import Settings
from imagestudio.vendors import VENDOR_IDS

URL = "/v1/images/generations"


@pytest.fixture
async def vendors(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[Vendors]:
    """The API with OpenAI and Stability served by their emulators (both keyed)."""
    openai_emulator, stability = OpenAIEmulator("sk-test"), StabilityEmulator("sk-stab")
    routes = {"openai": openai_emulator, "stability": stability}
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", database_url=migrated_database_url,
        openai_api_key="sk-test", stability_api_key="sk-stab", retry_max_attempts=1,
    )
    clients = {
        name: httpx.AsyncClient(transport=httpx.MockTransport(routes.get(name, _no_network)))
        for name in VENDOR_IDS
    }
    services = build_services(settings, http_clients=clients)
    app = create_app(settings, services, server_settings())
    async with app.router.lifespan_context(app):
        persistence = app.state.api.persistence
        user = await persistence.accounts.create_user("vera", plan="pro")
        await persistence.credits.admin.grant("vera", USER_CREDIT_MICROS, note="test setup")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://studio.test") as client:
            yield Vendors(app, client, {"Authorization": f"Bearer {user.key}"},
                          openai_emulator, stability)
    await services.aclose()


@dataclass
class Vendors:
    app: FastAPI
    client: httpx.AsyncClient
    headers: dict[str, str]
    openai: OpenAIEmulator
    stability: StabilityEmulator

    async def generate(self, **body: object) -> httpx.Response:
        return await self.client.post(URL, json=body, headers=self.headers)


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected network call to {request.url}")


