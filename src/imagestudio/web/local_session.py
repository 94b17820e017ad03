"""Who may use the opt-in local single-user session (``serve --single-user``).

When the flag is on, a browser on the same machine may ask for an API key of the user
``local`` (:mod:`imagestudio.accounts.local`) instead of pasting one. The request is
answered only when it comes from a loopback address *and* names a loopback host (so a
DNS-rebinding page cannot use it); a JSON content type is required, which forces a CORS
pre-flight on cross-site callers. Anything else gets the same 404 as an unknown route.
"""

from __future__ import annotations

import ipaddress

from fastapi import Request

from imagestudio.errors import NotFound

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback_address(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_host(host: str) -> bool:
    """Whether a listen address or host name stays on this machine."""
    name = host.strip().lower().strip("[]")
    return name == "localhost" or is_loopback_address(name)


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_local_request(request: Request, *, require_json: bool = True) -> bool:
    """From a loopback address, to a loopback host name (with a JSON body type)."""
    client = request.client.host if request.client else None
    host = _host_name(request.headers.get("host", ""))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return (
        is_loopback_address(client)
        and (host in _LOOPBACK_NAMES or is_loopback_address(host.strip("[]")))
        and (content_type == "application/json" or not require_json)
    )


def refuse() -> NotFound:
    return NotFound("not found")
