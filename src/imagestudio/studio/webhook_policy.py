"""Webhook signing (Standard Webhooks) and which URLs a webhook may call.

Signing, per https://www.standardwebhooks.com: the ``whsec_`` secret's base64 part is
the HMAC-SHA256 key; the signed content is ``{webhook-id}.{webhook-timestamp}.{body}``;
``webhook-signature`` is ``v1,`` + the base64 digest.

URLs: in production (the default) only ``https`` to public addresses: every address the
host resolves to must be global, so a webhook never reaches a private network, loopback,
link-local or cloud metadata address. In development settings ``https`` anywhere, or
``http`` to a loopback host. The connection goes to the address that was checked (no
second lookup a DNS rebinding could change) and redirects are never followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from imagestudio.errors import InvalidRequest

SECRET_PREFIX = "whsec_"
MAX_URL_CHARS = 2000
LOOPBACK_NAMES = frozenset({"localhost"})


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, development: bool) -> Target:
    """The parts of an acceptable webhook ``url``; InvalidRequest (field ``url``) if not."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidRequest(f"url is longer than {MAX_URL_CHARS} characters", field="url")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidRequest("url must be an absolute https:// URL", field="url")
    if parts.username or parts.password:
        raise InvalidRequest("url must not carry credentials", field="url")
    if parts.scheme == "http" and not (development and _is_loopback(host)):
        hint = "https (or http to a loopback host)" if development else "https"
        raise InvalidRequest(f"url must use {hint}", field="url")
    if not development:
        try:
            refused = not ipaddress.ip_address(host).is_global
        except ValueError:
            refused = _is_loopback(host)
        if refused:
            raise InvalidRequest("url must not point at a private or loopback address",
                                 field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidRequest("url has an invalid port", field="url") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path)


def allowed_address(address: str, *, development: bool) -> bool:
    """Whether a resolved address may be called (production: global addresses only)."""
    if development:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global
