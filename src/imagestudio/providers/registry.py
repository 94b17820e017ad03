"""The provider registry: exact names → implementation classes, imported lazily.

Names are stable keys stored on every generation row; lookups are exact (architecture §9
rule 3). ``build_providers`` is called by the composition root with one borrowed HTTP
client per vendor; providers never create or close clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import cast

import httpx

from imagestudio.providers.base import ImageProvider
from imagestudio.settings import PROVIDER_IDS, Settings

LOCAL = "local"
PROVIDER_CLASSES: dict[str, str] = {
    LOCAL: "imagestudio.providers.local:LocalProvider",
    "stability": "imagestudio.providers.stability:StabilityProvider",
    "wavespeed": "imagestudio.providers.wavespeed:WaveSpeedProvider",
    "huggingface": "imagestudio.providers.huggingface:HuggingFaceProvider",
    "gemini": "imagestudio.providers.gemini:GeminiProvider",
    "openai": "imagestudio.providers.openai:OpenAIProvider",
}


def load_provider_class(name: str) -> type[ImageProvider]:
    """The class registered as ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        target = PROVIDER_CLASSES[name]
    except KeyError:
        known = ", ".join(PROVIDER_CLASSES)
        raise KeyError(f"no provider named {name!r}; known: {known}") from None
    module, _, attr = target.partition(":")
    return cast("type[ImageProvider]", getattr(import_module(module), attr))


def build_providers(
    settings: Settings, clients: Mapping[str, httpx.AsyncClient]
) -> dict[str, ImageProvider]:
    """Every registered provider, built: ``local`` always, each vendor with its settings
    and ``clients[vendor]``.

    Vendors without a key are built too, so ``status()`` can say which variable to set;
    their ``generate()`` raises ``ProviderNotConfigured``. Raises ``KeyError`` when a
    vendor has no client.
    """
    missing = [name for name in PROVIDER_IDS if name not in clients]
    if missing:
        raise KeyError(f"no HTTP client for: {', '.join(missing)}")
    local = cast("Callable[[], ImageProvider]", load_provider_class(LOCAL))
    providers: dict[str, ImageProvider] = {LOCAL: local()}
    for name in PROVIDER_IDS:
        vendor = cast("Callable[..., ImageProvider]", load_provider_class(name))
        providers[name] = vendor(settings.provider(name), client=clients[name])
    return providers
