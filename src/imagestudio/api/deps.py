"""Request-scoped dependencies: the app's wired state and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from imagestudio.accounts.auth import Authenticator, Principal
from imagestudio.api.config import ServerSettings
from imagestudio.api.signing import UrlSigner
from imagestudio.container import Persistence, Services


@dataclass(frozen=True)
class ApiState:
    """Everything a route needs, built once at start-up."""

    services: Services
    persistence: Persistence
    server: ServerSettings
    auth: Authenticator
    signer: UrlSigner

    def base_url(self, request: Request) -> str:
        return (self.server.public_url or str(request.base_url)).rstrip("/")

    def file_url(self, request: Request, asset_id: str, file_key: str) -> str:
        """Absolute signed URL of an asset's file (no Authorization header needed)."""
        extension = file_key.rsplit(".", 1)[-1]
        return self.base_url(request) + self.signer.path(asset_id, extension)


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


_bearer = HTTPBearer(auto_error=False, description="An API key from `imagestudio users create`.")


async def current_user(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` (401 without a valid key)."""
    return await api_state(request).auth.authenticate(request.headers.get("authorization"))


StateDep = Annotated[ApiState, Depends(api_state)]
UserDep = Annotated[Principal, Depends(current_user)]
IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retry-safe key: a retry with it returns the first result, charged once.",
    ),
]
