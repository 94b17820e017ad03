"""Offline HTTP emulators of the vendor APIs, for tests and ``imagestudio emulate``.

Each emulator is a callable ``httpx.Request -> httpx.Response`` usable with
``httpx.MockTransport``; :mod:`imagestudio.emulators.asgi` serves one over real HTTP.
Which class emulates which vendor is :data:`imagestudio.vendors.VENDORS`' ``emulator``;
lookups are exact names; modules are imported only when asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from imagestudio.vendors import VENDORS, load

if TYPE_CHECKING:
    from imagestudio.emulators._base import Emulator

EMULATORS: Mapping[str, str] = {vendor.id: vendor.emulator for vendor in VENDORS.values()}


def load_emulator(name: str) -> type[Emulator]:
    """The emulator class registered as ``name``; ``KeyError`` for an unknown name."""
    try:
        target = EMULATORS[name]
    except KeyError:
        raise KeyError(f"no emulator named {name!r}; known: {', '.join(EMULATORS)}") from None
    cls: type[Emulator] = load(target)
    return cls


__all__ = ["EMULATORS", "load_emulator"]
