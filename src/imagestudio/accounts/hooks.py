"""The seam where plans and credits plug in: a check called before any provider call.

``CreditsCheck(principal, plan, quote)`` raises a StudioError (``InsufficientCredits``,
``QuotaExceeded``, ``PlanForbids`` …) to stop the generation; returning means go ahead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from imagestudio.accounts.auth import Principal
from imagestudio.generation.schemas import QuotePublic

CreditsCheck = Callable[[Principal, str, QuotePublic], Awaitable[None]]


async def allow_all(principal: Principal, plan: str, quote: QuotePublic) -> None:  # noqa: ARG001
    """The default until the credits service exists: every plan may generate."""
    return None
