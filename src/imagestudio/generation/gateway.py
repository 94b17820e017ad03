"""The seam between the pipeline and the providers: one attempt chain per image.

:class:`Gateway` is the one place that decides what happens after a provider error
(retry, fall back to the next model of the chain, or give up). Vendor clients make a
single attempt and classify the failure; they never retry on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from imagestudio.providers.base import ProviderRequest, ProviderResult


@dataclass(frozen=True)
class Attempt:
    """Call ``provider`` with ``request``; ``model_id`` is the studio model id (for notes)."""

    provider: str
    model_id: str
    request: ProviderRequest


@dataclass(frozen=True)
class Served:
    """Which attempt of the chain produced ``result``, and what happened on the way."""

    index: int
    result: ProviderResult
    notes: tuple[str, ...] = ()


class Gateway(Protocol):
    async def generate(self, attempts: Sequence[Attempt]) -> Served:
        """Try ``attempts`` in order until one succeeds; raise the deciding ProviderError."""
        ...
