"""Request-scoped dependencies: the app's wired state and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from imagestudio.accounts.auth import Authenticator, Principal
from imagestudio.api.config import ServerSettings
from imagestudio.api.image_url import ImageUrlFetcher
from imagestudio.api.lean_route import lean_route_class
from imagestudio.api.signing import UrlSigner
from imagestudio.container import Persistence, Services
from imagestudio.credits.ledger_ids import LedgerIds
from imagestudio.studio.jobs import JobRunner
from imagestudio.studio.webhooks import Webhooks


@dataclass(frozen=True)
class ApiState:
    """Everything a route needs, built once at start-up."""

    services: Services
    persistence: Persistence
    server: ServerSettings
    auth: Authenticator
    signer: UrlSigner
    ledger_ids: LedgerIds
    jobs: JobRunner
    webhooks: Webhooks
    image_urls: ImageUrlFetcher

    def base_url(self, request: Request) -> str:
        """The origin of absolute URLs: ``public_url``, else the request's own when its
        Host is allowed; "" (relative URLs) for any other Host, which is never reflected."""
        if self.server.public_url:
            return self.server.public_url.rstrip("/")
        host = request.headers.get("host")
        if not host or not _allowed(self.server.allowed_hosts, host):
            return str(request.scope.get("root_path", "")).rstrip("/")
        return _origin(request.scope["scheme"], host,
                       request.scope.get("root_path", ""))

    def file_url(self, request: Request, asset_id: str, file_key: str) -> str:
        """Signed URL of an asset's file (no Authorization header needed): absolute for
        ``public_url`` or an allowed Host, else relative to the server."""
        extension = file_key.rsplit(".", 1)[-1]
        return self.base_url(request) + self.signer.path(asset_id, extension)


@lru_cache(maxsize=256)
def _allowed(allowed_hosts: str, host: str) -> bool:
    names = {name.strip().lower() for name in allowed_hosts.split(",") if name.strip()}
    if "*" in names:
        return True
    if host.startswith("["):  # [v6]:port
        name = host[1:].partition("]")[0]
    else:
        name = host.rpartition(":")[0] if host.count(":") == 1 else host
    return name.lower() in names


@lru_cache(maxsize=256)
def _origin(scheme: str, host: str, root_path: str) -> str:
    # Request.base_url builds a URL object per call; the origin repeats for every request.
    return f"{scheme}://{host}{root_path}".rstrip("/")


def state_of(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


async def api_state(request: Request) -> ApiState:
    # async so FastAPI calls it on the loop: a sync dependency costs a thread hop per request.
    return state_of(request)


_bearer = HTTPBearer(auto_error=False, description="An API key from `imagestudio users create`.")


async def current_user(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` (401 without a valid key)."""
    return await _caller(request)


async def _caller(request: Request) -> Principal:
    return await state_of(request).auth.authenticate(request.headers.get("authorization"))


LeanRoute = lean_route_class({current_user: _caller, api_state: api_state})
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def lean_post(router: APIRouter, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """``@router.post(path, **options)`` for a hot JSON endpoint, as a :data:`LeanRoute`."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, methods=["POST"], route_class_override=LeanRoute,
                             **options)
        return endpoint

    return register


StateDep = Annotated[ApiState, Depends(api_state)]
UserDep = Annotated[Principal, Depends(current_user)]
IdempotencyKeyDep = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retry-safe key: a retry with it returns the first result, charged once.",
    ),
]
PreferDep = Annotated[
    str | None,
    Header(alias="Prefer", description="'respond-async' runs the request as a job (202)."),
]
