"""An API app over ``migrated_database_url`` (SQLite and PostgreSQL) with the Stability,
OpenAI, Gemini and WaveSpeed emulators keyed; ``carol`` is on the Pro plan and ``dave`` on the
Free plan (five edits a month), each with 1 USD of credit."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from tests.api.conftest import server_settings

from imagestudio.api.app import create_app
from imagestudio.container import Services, build_services
from imagestudio.emulators._base import Emulator
from imagestudio.emulators.gemini import GeminiEmulator
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.settings import Settings
from imagestudio.vendors import VENDOR_IDS

KEY = "sk-emulator"
CREDIT = 1_000_000


def png(width: int, height: int, colour: tuple[int, ...] = (30, 120, 200),
        mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG header declaring ``width × height`` RGB pixels, in a few hundred bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b""))


@dataclass
class EditApi:
    client: httpx.AsyncClient
    headers: dict[str, str]
    services: Services
    stability: StabilityEmulator
    free_headers: dict[str, str]
    app: FastAPI
    openai: OpenAIEmulator
    gemini: GeminiEmulator
    wavespeed: WaveSpeedEmulator

    async def upload(self, data: bytes, headers: dict[str, str] | None = None) -> str:
        response = await self.client.post("/api/image-studio/assets",
                                          headers=headers or self.headers,
                                          files={"file": ("s.png", data, "image/png")})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def usage(self, headers: dict[str, str] | None = None) -> dict[str, object]:
        response = await self.client.get("/api/image-studio/usage",
                                         headers=headers or self.headers)
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body

    async def asset_count(self) -> int:
        response = await self.client.get("/api/image-studio/assets?limit=100",
                                         headers=self.headers)
        return len(response.json()["items"])


@pytest.fixture
async def edit_api(tmp_path: Path, migrated_database_url: str) -> AsyncIterator[EditApi]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data",
                        database_url=migrated_database_url, stability_api_key=KEY,
                        openai_api_key=KEY, gemini_api_key=KEY, wavespeed_api_key=KEY,
                        retry_max_attempts=1)
    stability = StabilityEmulator(KEY)
    openai = OpenAIEmulator(KEY)
    gemini = GeminiEmulator(KEY)
    wavespeed = WaveSpeedEmulator(KEY, polls_before_done=0)
    fakes: dict[str, Emulator] = {"stability": stability, "openai": openai, "gemini": gemini,
                                  "wavespeed": wavespeed}

    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected network call to {request.url}")

    clients = {name: httpx.AsyncClient(transport=httpx.MockTransport(
        fakes.get(name, no_network))) for name in VENDOR_IDS}
    services = build_services(settings, http_clients=clients)
    # image_url: the loopback test server only (tests/edit/test_edit_image_url.py)
    # 10 MP uploads: images over Stability's 9.4 MP and 4.2 MP limits (test_edit_fitting.py)
    app = create_app(settings, services, server_settings(
        image_url_hosts="127.0.0.1", image_url_development=True, image_url_timeout_s=3,
        max_upload_pixels=10_000_000))
    async with app.router.lifespan_context(app):
        persistence = app.state.api.persistence
        user = await persistence.accounts.create_user("carol", plan="pro")
        free = await persistence.accounts.create_user("dave", plan="free")
        for name in ("carol", "dave"):
            await persistence.credits.admin.grant(name, CREDIT, note="test")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield EditApi(client, {"Authorization": f"Bearer {user.key}"}, services, stability,
                          {"Authorization": f"Bearer {free.key}"}, app, openai, gemini,
                          wavespeed)
    await services.aclose()
