"""A deterministic, scriptable provider: no HTTP, no keys, no cost.

Used by service, gateway, CLI and API tests, and for offline development. Images are
solid-colour PNGs at the requested size whose colour derives from (prompt, seed), so the
same request always yields the same bytes. ``script()`` queues outcomes (results or
exceptions) consumed one per call; ``calls`` records every request; ``delay_s`` makes each
call take time so queues and concurrency limits can be exercised.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections import deque
from typing import ClassVar

from PIL import Image

from imagestudio.providers.base import (
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderStatus,
    ProviderUsage,
)
from imagestudio.providers.errors import (
    ProviderError,
    ProviderNotConfigured,
    ProviderOutcomeUnknown,
)
from imagestudio.providers.journal import after_unbilled_send, before_paid_send

Outcome = ProviderResult | BaseException | None


def fake_colour(prompt: str, seed: int | None) -> tuple[int, int, int]:
    """The RGB colour :class:`FakeProvider` paints for ``(prompt, seed)``."""
    digest = hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest()
    return digest[0], digest[1], digest[2]


def fake_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A solid ``colour`` PNG of ``width`` × ``height`` pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class FakeProvider:
    """An :class:`~imagestudio.providers.base.ImageProvider` with scripted outcomes.

    ``name`` defaults to ``"fake"``; pass ``name="stability"`` to stand in for a vendor in
    a gateway or service test. With ``configured=False`` it reports itself unconfigured and
    every call raises :class:`ProviderNotConfigured`. ``in_flight``/``max_in_flight`` count
    concurrent calls.
    """

    __test__ = False
    name: ClassVar[str] = "fake"

    def __init__(
        self, *, name: str | None = None, delay_s: float = 0.0, configured: bool = True
    ) -> None:
        if name is not None:
            vars(self)["name"] = name  # instance override of the registry key, for tests
        self.delay_s = delay_s
        self.configured = configured
        self.calls: list[ProviderRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Outcome] = deque()

    def script(self, *outcomes: Outcome) -> FakeProvider:
        """Queue outcomes for the next calls, in order: a result is returned, an exception
        is raised, ``None`` means the default deterministic image. Once the queue is empty
        every call succeeds. Returns ``self`` for chaining."""
        self._script.extend(outcomes)
        return self

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """Record the call, wait ``delay_s``, then play the next scripted outcome.

        Like a vendor client it tells the unit journal (if any) of the paid send first,
        and that it was not billed when the outcome is an error other than
        ``ProviderOutcomeUnknown`` (a vendor's error answer)."""
        if self.configured:
            await before_paid_send(self.name)
        self.calls.append(request)
        outcome = self._script.popleft() if self._script else None
        if (self.configured and isinstance(outcome, ProviderError)
                and not isinstance(outcome, ProviderOutcomeUnknown)):
            await after_unbilled_send(self.name)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        if not self.configured:
            raise ProviderNotConfigured("the fake provider is switched off", provider=self.name)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome if outcome is not None else self.render(request)

    def render(self, request: ProviderRequest) -> ProviderResult:
        """The default result for ``request``: ``n`` images, seeds ``seed``, ``seed+1`` …"""
        images = []
        for i in range(request.n):
            seed = None if request.seed is None else request.seed + i
            data = fake_png(
                request.size.width, request.size.height, fake_colour(request.prompt, seed)
            )
            images.append(GeneratedImage(
                media_type="image/png", width=request.size.width, height=request.size.height,
                data=data, seed=seed,
            ))
        return ProviderResult(
            images=images,
            request_id=f"{self.name}-{len(self.calls)}",
            usage=ProviderUsage(images_billed=request.n),
            metadata={"fake": True},
        )

    async def status(self) -> ProviderStatus:
        """Always configured unless built with ``configured=False``; never touches a network."""
        if not self.configured:
            return ProviderStatus(self.name, False, "the fake provider is switched off")
        return ProviderStatus(self.name, True, "built-in fake (no network, no cost)")

