"""The provider registry: exact source ids → client classes, imported lazily.

Ids and classes come from :data:`imagestudio.vendors.SOURCES`; lookups are exact
(architecture §9 rule 3). ``build_providers`` is called by the composition root with one
borrowed HTTP client per vendor; providers never create or close clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

import httpx

from imagestudio.providers.base import ImageProvider
from imagestudio.settings import Settings
from imagestudio.vendors import LOCAL, SOURCES, VENDOR_IDS, load

PROVIDER_CLASSES: Mapping[str, str] = {source.id: source.client for source in SOURCES.values()}


def load_provider_class(name: str) -> type[ImageProvider]:
    """The class registered as ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        target = PROVIDER_CLASSES[name]
    except KeyError:
        known = ", ".join(PROVIDER_CLASSES)
        raise KeyError(f"no provider named {name!r}; known: {known}") from None
    return cast("type[ImageProvider]", load(target))


def build_providers(
    settings: Settings, clients: Mapping[str, httpx.AsyncClient]
) -> dict[str, ImageProvider]:
    """Every registered provider, built: ``local`` always, each vendor with its settings
    and ``clients[vendor]``.

    Vendors without a key are built too, so ``status()`` can say which variable to set;
    their ``generate()`` raises ``ProviderNotConfigured``. Raises ``KeyError`` when a
    vendor has no client.
    """
    missing = [name for name in VENDOR_IDS if name not in clients]
    if missing:
        raise KeyError(f"no HTTP client for: {', '.join(missing)}")
    local = cast("Callable[[], ImageProvider]", load_provider_class(LOCAL.id))
    providers: dict[str, ImageProvider] = {LOCAL.id: local()}
    for name in VENDOR_IDS:
        vendor = cast("Callable[..., ImageProvider]", load_provider_class(name))
        providers[name] = vendor(settings.provider(name), client=clients[name])
    return providers
