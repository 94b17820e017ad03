"""Every image source the studio can call, described once.

Settings (each vendor's key, base URL and concurrency variables), the provider registry,
the catalog's provider list, ``imagestudio emulate`` and ``doctor`` all derive theirs from
:data:`SOURCES`. A new vendor is one client module, one emulator module and one
:class:`Vendor` entry here (plus its models in ``catalog/data/models.yaml``).

Classes are named by ``"module:Class"`` strings and imported only when asked for
(:func:`load`), so this module imports nothing and costs nothing at start-up. Ids are
stable: they are stored on every generation row and never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Source:
    """An image source: its stable id, what people see, and its client class."""

    id: str
    name: str
    docs: str
    client: str
    offline: bool = False


@dataclass(frozen=True, kw_only=True)
class Vendor(Source):
    """A vendor API reached over HTTP with a key.

    ``key_env`` is the variable the vendor's own docs use (``IMAGESTUDIO_<key_env>`` and
    ``key_env_aliases`` are accepted too); ``IMAGESTUDIO_<ID>_BASE_URL`` overrides
    ``base_url`` (an emulator, a proxy); ``max_concurrency`` caps calls in flight (None:
    the studio-wide default), ``concurrency_note`` says why.
    """

    key_env: str
    base_url: str
    emulator: str
    key_env_aliases: tuple[str, ...] = ()
    max_concurrency: int | None = None
    concurrency_note: str = ""

    @property
    def key_envs(self) -> tuple[str, ...]:
        """Every variable that may hold the key, the documented one first."""
        return (self.key_env, *self.key_env_aliases, f"IMAGESTUDIO_{self.key_env}")

    @property
    def base_url_env(self) -> str:
        return f"IMAGESTUDIO_{self.id.upper()}_BASE_URL"


LOCAL = Source(
    id="local",
    name="Offline draft renderer (not an AI model)",
    docs="Renders a deterministic placeholder draft locally; used when no vendor is configured.",
    client="imagestudio.providers.local:LocalProvider",
    offline=True,
)

_VENDORS = (
    Vendor(
        id="stability",
        name="Stability AI",
        docs="https://platform.stability.ai/docs/api-reference",
        client="imagestudio.providers.stability:StabilityProvider",
        emulator="imagestudio.emulators.stability:StabilityEmulator",
        key_env="STABILITY_API_KEY",
        base_url="https://api.stability.ai",
        max_concurrency=10,
        concurrency_note="its limit is 150 requests/10 s (60 s time-out)",
    ),
    Vendor(
        id="wavespeed",
        name="WaveSpeed AI",
        docs="https://wavespeed.ai/docs",
        client="imagestudio.providers.wavespeed:WaveSpeedProvider",
        emulator="imagestudio.emulators.wavespeed:WaveSpeedEmulator",
        key_env="WAVESPEED_API_KEY",
        base_url="https://api.wavespeed.ai",
        max_concurrency=2,
        concurrency_note="Bronze tier allows 2",
    ),
    Vendor(
        id="huggingface",
        name="Hugging Face Inference (hf-inference)",
        docs="https://huggingface.co/docs/inference-providers/tasks/text-to-image",
        client="imagestudio.providers.huggingface:HuggingFaceProvider",
        emulator="imagestudio.emulators.huggingface:HuggingFaceEmulator",
        key_env="HF_API_KEY",
        key_env_aliases=("HF_TOKEN",),
        base_url="https://router.huggingface.co/hf-inference",
    ),
    Vendor(
        id="gemini",
        name="Google Gemini API",
        docs="https://ai.google.dev/gemini-api/docs/image-generation",
        client="imagestudio.providers.gemini:GeminiProvider",
        emulator="imagestudio.emulators.gemini:GeminiEmulator",
        key_env="GEMINI_API_KEY",
        base_url="https://generativelanguage.googleapis.com",
    ),
    Vendor(
        id="openai",
        name="OpenAI Images API",
        docs="https://platform.openai.com/docs/api-reference/images",
        client="imagestudio.providers.openai:OpenAIProvider",
        emulator="imagestudio.emulators.openai:OpenAIEmulator",
        key_env="OPENAI_API_KEY",
        base_url="https://api.openai.com/v1",
    ),
)

VENDORS: Mapping[str, Vendor] = MappingProxyType({v.id: v for v in _VENDORS})
VENDOR_IDS: tuple[str, ...] = tuple(VENDORS)
SOURCES: Mapping[str, Source] = MappingProxyType({LOCAL.id: LOCAL, **VENDORS})


def vendor(vendor_id: str) -> Vendor:
    """The vendor named exactly ``vendor_id``; ``KeyError`` naming the known ones."""
    try:
        return VENDORS[vendor_id]
    except KeyError:
        raise KeyError(f"no vendor named {vendor_id!r}; known: {', '.join(VENDORS)}") from None


def load(reference: str) -> Any:
    """The object a ``"module:attr"`` reference names, importing its module now."""
    module, _, attr = reference.partition(":")
    return getattr(import_module(module), attr)
