"""The base of every vendor client and the shared "undeclared parameter" guard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import SecretStr

from imagestudio.providers._http import json_body, sanitize, send
from imagestudio.providers.base import ProviderRequest, ProviderStatus
from imagestudio.providers.errors import (
    ProviderBadRequest,
    ProviderError,
    ProviderNotConfigured,
    ProviderUnavailable,
)
from imagestudio.providers.journal import after_unbilled_send, before_paid_send
from imagestudio.settings import ProviderSettings

Sleep = Callable[[float], Awaitable[None]]



class ErrorMapper(Protocol):
    """A vendor's mapping of a failed answer to the error taxonomy (key scrubbed)."""

    def __call__(self, response: httpx.Response, *, secret: SecretStr | None) -> ProviderError:
        ...


_OPTIONAL_FIELDS = ("negative_prompt", "seed", "steps", "guidance", "style_preset", "quality")


def reject_unsupported(
    request: ProviderRequest,
    accepted: Collection[str],
    *,
    provider: str,
    options: Collection[str] = (),
    max_n: int = 1,
) -> None:
    """Refuse a request carrying a parameter this model does not declare.

    The pipeline sends only declared fields, so anything else is a mapping bug; dropping
    it silently would hide that (prior-art §10 pitfall 12).
    """
    extra = [f for f in _OPTIONAL_FIELDS if getattr(request, f) is not None and f not in accepted]
    extra += [f"options.{key}" for key in request.options if key not in options]
    if request.n > max_n:
        extra.append(f"n={request.n} (max {max_n} per call)")
    if extra:
        raise ProviderBadRequest(
            f"{provider} model {request.model!r} does not accept: {', '.join(extra)}",
            provider=provider,
        )


class HttpProvider:
    """Base of the vendor clients: settings, the borrowed client, status and key handling.

    ``sleep``, ``poll_interval_s`` and ``poll_timeout_s`` only matter to vendors that poll.
    """

    name: ClassVar[str]

    def __init__(
        self,
        settings: ProviderSettings,
        *,
        client: httpx.AsyncClient,
        sleep: Sleep = asyncio.sleep,
        poll_interval_s: float = 2.0,
        poll_timeout_s: float = 180.0,
    ) -> None:
        self._settings = settings
        self._client = client
        self._sleep = sleep
        self._poll_interval_s = poll_interval_s
        self._poll_timeout_s = poll_timeout_s
        self._base = settings.base_url.rstrip("/")

    @property
    def key_env(self) -> str:
        """The variable that holds this vendor's key (from :mod:`imagestudio.vendors`)."""
        return self._settings.key_env

    async def status(self) -> ProviderStatus:
        """Configured or not (naming the env var); never touches the network."""
        if not self._settings.configured:
            return ProviderStatus(name=self.name, configured=False, reason=f"set {self.key_env}")
        return ProviderStatus(name=self.name, configured=True, base_url=self._base)

    def _api_key(self) -> str:
        """The key, or ``ProviderNotConfigured`` naming the env var to set."""
        key = self._settings.api_key
        if key is None or not key.get_secret_value():
            raise ProviderNotConfigured(
                f"{self.name} is not configured: set {self.key_env}", provider=self.name
            )
        return key.get_secret_value()

    def _clean(self, text: str) -> str:
        return sanitize(text, self._settings.api_key)

    async def _send(
        self, request: httpx.Request, *, creates_work: bool, follow_redirects: bool = False
    ) -> httpx.Response:
        if not creates_work:
            return await send(self._client, request, provider=self.name, creates_work=False,
                              follow_redirects=follow_redirects)
        await before_paid_send(self.name)  # the unit journal stores the send first (or refuses)
        try:
            response = await send(self._client, request, provider=self.name, creates_work=True,
                                  follow_redirects=follow_redirects)
        except (ProviderUnavailable, ProviderNotConfigured):  # it never left: nothing billed
            await after_unbilled_send(self.name)
            raise
        if not response.is_success:  # answered with an error status: not billed
            await after_unbilled_send(self.name)
        return response

    async def _send_ok(
        self, request: httpx.Request, map_error: ErrorMapper, *, creates_work: bool,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """:meth:`_send`, with any answer but 200 raised as ``map_error`` maps it."""
        response = await self._send(request, creates_work=creates_work,
                                    follow_redirects=follow_redirects)
        if response.status_code != 200:
            raise map_error(response, secret=self._settings.api_key)
        return response

    def _json(self, response: httpx.Response) -> Any:
        return json_body(response, provider=self.name)
