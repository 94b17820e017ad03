from __future__ import annotations

import httpx
import pytest

from imagestudio.emulators import EMULATORS, load_emulator
from imagestudio.providers.base import ImageProvider, ProviderRequest, SizeRequest
from imagestudio.providers.errors import ProviderNotConfigured
from imagestudio.providers.registry import PROVIDER_CLASSES, build_providers, load_provider_class
from imagestudio.settings import Settings
from imagestudio.vendors import VENDOR_IDS, VENDORS


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in (
        "STABILITY_API_KEY",
        "WAVESPEED_API_KEY",
        "HF_API_KEY",
        "HF_TOKEN",
        "GEMINI_API_KEY",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"IMAGESTUDIO_{name}", raising=False)
    return Settings(_env_file=None, stability_api_key="sk-test")  # type: ignore[call-arg]


def test_registry_names_are_exact_and_complete() -> None:
    assert set(PROVIDER_CLASSES) == {"local", *VENDOR_IDS}
    for name in PROVIDER_CLASSES:
        assert load_provider_class(name).name == name


def test_unknown_provider_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: local, stability"):
        load_provider_class("Stability")


def test_every_vendor_has_an_emulator_and_a_key_variable() -> None:
    assert set(EMULATORS) == set(VENDOR_IDS)
    for name in VENDOR_IDS:
        assert load_emulator(name).name == name
        assert VENDORS[name].key_env


async def test_build_providers_builds_every_vendor_even_without_a_key(settings: Settings) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    async with httpx.AsyncClient(transport=transport) as client:
        providers = build_providers(settings, {name: client for name in VENDOR_IDS})

        statuses = {name: await p.status() for name, p in providers.items()}
        with pytest.raises(ProviderNotConfigured, match="OPENAI_API_KEY"):
            await providers["openai"].generate(
                ProviderRequest("gpt-image-1", "x", SizeRequest(1024, 1024))
            )

    assert set(providers) == set(PROVIDER_CLASSES)
    assert all(isinstance(p, ImageProvider) for p in providers.values())
    assert statuses["local"].configured
    assert statuses["stability"].configured
    assert statuses["stability"].base_url == "https://api.stability.ai"
    assert not statuses["huggingface"].configured
    assert statuses["huggingface"].reason == "set HF_API_KEY"


async def test_build_providers_needs_a_client_per_vendor(settings: Settings) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(KeyError, match="gemini, openai"):
            build_providers(settings, {name: client for name in VENDOR_IDS[:3]})
