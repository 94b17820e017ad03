"""An API app per test over ``migrated_database_url`` (SQLite and PostgreSQL), with two users on
the Pro plan holding ``USER_CREDIT_MICROS`` of credit each.

Vendors are the package's HTTP emulators behind ``httpx.MockTransport``; WaveSpeed is
keyed (so the seed's WaveSpeed examples run), every other vendor refuses the network.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from imagestudio.api.app import create_app
from imagestudio.api.config import ServerSettings
from imagestudio.container import Services, build_services
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.settings import Settings
from imagestudio.vendors import VENDOR_IDS

USER_CREDIT_MICROS = 10_000_000


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected network call to {request.url}")


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    alice: dict[str, str]
    bob: dict[str, str]
    services: Services
    wavespeed: WaveSpeedEmulator
    data_dir: Path

    async def create(self, headers: dict[str, str], **body: object) -> dict[str, object]:
        response = await self.client.post(
            "/api/image-studio/create",
            json={
                "prompt": "a red bicycle",
                "provider": "local",
                "width": 96,
                "height": 64,
                **body,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()
        return result


def make_services(settings: Settings, wavespeed: WaveSpeedEmulator) -> Services:
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.MockTransport(wavespeed if name == "wavespeed" else _no_network)
        )
        for name in VENDOR_IDS
    }
    return build_services(settings, http_clients=clients, instant_provider=True)


def server_settings(**overrides: object) -> ServerSettings:
    values: dict[str, object] = {
        "url_secret": "test-secret",
        "max_body_bytes": 64 * 1024,
        "max_upload_bytes": 300_000,
        "max_upload_pixels": 4_000_000,
        "auth_cache_ttl_s": 0,
        "auto_migrate": True,
        **overrides,
    }
    return ServerSettings(_env_file=None, **values)  # type: ignore[arg-type]


def png_bytes(
    width: int = 32, height: int = 24, colour: tuple[int, int, int] = (9, 99, 199)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def api(migrated_database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=migrated_database_url,
        wavespeed_api_key="test-key",
        retry_max_attempts=1,
    )
    wavespeed = WaveSpeedEmulator(api_key="test-key", polls_before_done=0)
    services = make_services(settings, wavespeed)
    app = create_app(settings, services, server_settings())
    async with app.router.lifespan_context(app):
        persistence = app.state.api.persistence
        alice = await persistence.accounts.create_user("alice", plan="pro")
        bob = await persistence.accounts.create_user("bob", plan="pro")
        for name in ("alice", "bob"):
            await persistence.credits.admin.grant(name, USER_CREDIT_MICROS, note="test setup")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://studio.test") as client:
            yield Api(
                app=app,
                client=client,
                alice={"Authorization": f"Bearer {alice.key}"},
                bob={"Authorization": f"Bearer {bob.key}"},
                services=services,
                wavespeed=wavespeed,
                data_dir=tmp_path / "data",
            )
    await services.aclose()
