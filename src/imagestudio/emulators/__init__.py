"""Offline HTTP emulators of the vendor APIs, for tests and ``imagestudio emulate``.

Each emulator is a callable ``httpx.Request -> httpx.Response`` usable with
``httpx.MockTransport``; :mod:`imagestudio.emulators.asgi` serves one over real HTTP.
Lookups are exact names; modules are imported only when asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imagestudio.emulators._base import Emulator

EMULATORS: dict[str, str] = {
    "stability": "imagestudio.emulators.stability:StabilityEmulator",
    "wavespeed": "imagestudio.emulators.wavespeed:WaveSpeedEmulator",
    "huggingface": "imagestudio.emulators.huggingface:HuggingFaceEmulator",
    "gemini": "imagestudio.emulators.gemini:GeminiEmulator",
    "openai": "imagestudio.emulators.openai:OpenAIEmulator",
}


def load_emulator(name: str) -> type[Emulator]:
    """The emulator class registered as ``name``; ``KeyError`` for an unknown name."""
    try:
        target = EMULATORS[name]
    except KeyError:
        raise KeyError(f"no emulator named {name!r}; known: {', '.join(EMULATORS)}") from None
    module, _, attr = target.partition(":")
    cls: type[Emulator] = getattr(import_module(module), attr)
    return cls


__all__ = ["EMULATORS", "load_emulator"]
