"""Fixtures of the upscale tests: the Stability emulator, and an API over it with a user
holding $1 on the enterprise plan."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tests.api.conftest import server_settings

from imagestudio.api.app import create_app
from imagestudio.container import build_services
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.settings import Settings
from imagestudio.vendors import VENDOR_IDS

KEY = "sk-emulator"


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def emulator() -> StabilityEmulator:
    return StabilityEmulator(KEY)


@pytest.fixture
async def api(tmp_path: Path, emulator: StabilityEmulator) -> AsyncIterator[tuple]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data",
                        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
                        stability_api_key=KEY, retry_max_attempts=1)

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected network call to {request.url}")

    clients = {name: httpx.AsyncClient(transport=httpx.MockTransport(
        emulator if name == "stability" else no_network)) for name in VENDOR_IDS}
    services = build_services(settings, http_clients=clients)
    app = create_app(settings, services, server_settings())
    async with app.router.lifespan_context(app):
        persistence = app.state.api.persistence
        user = await persistence.accounts.create_user("carol", plan="enterprise")
        await persistence.credits.admin.grant("carol", 1_000_000, note="test")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, {"Authorization": f"Bearer {user.key}"}
    await services.aclose()


async def source_asset(
    client: httpx.AsyncClient, headers: dict[str, str], size: tuple[int, int]
) -> str:
    """A PNG of ``size`` uploaded to the library; its asset id."""
    response = await client.post("/api/image-studio/assets", headers=headers,
                                 files={"file": ("s.png", png(*size), "image/png")})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
