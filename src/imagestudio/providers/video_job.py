"""What every video vendor client shares: the poll's answer and the client's base."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import httpx
from pydantic import SecretStr

from imagestudio.providers._http import send
from imagestudio.providers.errors import ProviderError


@dataclass(frozen=True)
class VideoJobState:
    """One poll's answer: still running, or done with a file, an error or a refusal."""

    done: bool
    video_uri: str | None = None
    error: str | None = None
    refused: str | None = None


class VideoClient:
    """Base of the video vendor clients: the borrowed HTTP client, the key and the base
    URL (``default_base_url`` when none is given); subclasses map their errors."""

    provider: str
    default_base_url: ClassVar[str]

    def __init__(self, http: httpx.AsyncClient, api_key: str | SecretStr,
                 base_url: str | None = None) -> None:
        self._http = http
        self._key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._base = (base_url or self.default_base_url).rstrip("/")

    async def _file(self, request: httpx.Request) -> bytes:
        """The body of a GET for a finished job's file (retry-safe, never billed)."""
        response = await send(self._http, request, provider=self.provider, creates_work=False)
        if response.status_code != 200:
            raise self._error(response)
        return response.content

    def _error(self, response: httpx.Response) -> ProviderError:
        """The vendor's error for a failed answer."""
        raise NotImplementedError
