"""Vendor identity is one entry in imagestudio.vendors; everything else derives from it."""

import pytest

from imagestudio.catalog import load_catalog
from imagestudio.cli.emulate import env_lines
from imagestudio.emulators import EMULATORS, load_emulator
from imagestudio.providers.registry import PROVIDER_CLASSES, load_provider_class
from imagestudio.settings import Settings
from imagestudio.vendors import LOCAL, SOURCES, VENDOR_IDS, VENDORS, load, vendor


@pytest.mark.parametrize("vendor_id", VENDOR_IDS)
def test_every_part_of_the_studio_knows_each_vendor_from_its_entry(
    vendor_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = VENDORS[vendor_id]
    monkeypatch.setenv(spec.key_env, "from-the-env")
    monkeypatch.setenv(spec.base_url_env, "http://127.0.0.1:9/x")
    connection = Settings(_env_file=None).provider(vendor_id)  # type: ignore[call-arg]

    assert connection.api_key is not None
    assert connection.api_key.get_secret_value() == "from-the-env"
    assert connection.base_url == "http://127.0.0.1:9/x"
    assert connection.key_env == spec.key_env
    assert load_provider_class(vendor_id).__name__ == spec.client.rsplit(":", 1)[1]
    assert load_emulator(vendor_id).name == vendor_id
    info = load_catalog().providers[vendor_id]
    assert (info.name, info.key_env, info.base_url) == (spec.name, spec.key_env, spec.base_url)
    assert env_lines(vendor_id, "127.0.0.1", 8001, None)[1].startswith(f"{spec.key_env}=")


def test_defaults_come_from_the_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in VENDORS.values():
        for name in spec.key_envs:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(spec.base_url_env, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for spec in VENDORS.values():
        connection = settings.provider(spec.id)
        assert connection.base_url == spec.base_url and not connection.configured
        assert settings.max_concurrency(spec.id) == (
            spec.max_concurrency or settings.provider_max_concurrency
        )


def test_key_aliases_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_API_KEY", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf-alias")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.provider("huggingface").configured


def test_sources_are_the_registry_and_the_catalog_providers() -> None:
    assert set(PROVIDER_CLASSES) == set(SOURCES) == set(load_catalog().providers)
    assert set(EMULATORS) == set(VENDORS) and LOCAL.id not in VENDORS
    assert load_catalog().providers[LOCAL.id].offline


def test_lookups_are_exact() -> None:
    with pytest.raises(KeyError, match="known: stability"):
        vendor("Stability")
    with pytest.raises(KeyError):
        Settings(_env_file=None).provider("local")  # type: ignore[call-arg]
    assert load("imagestudio.vendors:vendor") is vendor
