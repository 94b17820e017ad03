"""Input images by URL (``image_url``), fetched so that a user cannot make the server
reach what only the server can reach (SSRF).

The rules, each checked before a byte is requested:

- URL inputs are off unless ``IMAGESTUDIO_IMAGE_URL_HOSTS`` lists the hosts they may
  name (``cdn.example.com``, ``*.example.com`` for its subdomains, ``*`` for any host);
- ``http`` or ``https``, no credentials in the URL, at most 2000 characters;
- the host is resolved and **every** address must be public (``is_global``; addresses
  embedded in IPv4-mapped, 6to4, Teredo and NAT64 forms are checked too): loopback,
  private, link-local (cloud metadata at 169.254.169.254), shared, reserved and
  multicast ranges are refused. ``IMAGESTUDIO_IMAGE_URL_DEVELOPMENT`` allows loopback
  addresses only (tests and local development), never the other ranges;
- the connection goes to the address that was checked (no second lookup that DNS
  rebinding could change), with the host name as ``Host`` and TLS server name;
- a redirect is followed only after its target passed the same checks, at most
  :data:`MAX_REDIRECTS` times; proxies from the environment are never used;
- one deadline (``IMAGESTUDIO_IMAGE_URL_TIMEOUT_S``) covers resolving, connecting,
  redirects and the body; the body is read up to the upload cap and no further;
- the answer must be 200 with an image content type (PNG, JPEG, WebP or GIF), and the
  bytes are then validated exactly as an upload (format, pixel and decoded-size caps).

Any failure is one :class:`~imagestudio.errors.InvalidRequest` (422) naming the field.
Nothing is charged or stored before the fetched image passed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from imagestudio.assets.probe import probe_image
from imagestudio.errors import InvalidRequest, StudioError

MAX_URL_CHARS = 2000
MAX_REDIRECTS = 3
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
Resolver = Callable[[str, int], Awaitable[list[str]]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded(ip: IpAddress) -> list[IpAddress]:
    """``ip`` and the IPv4 addresses it carries (mapped, 6to4, Teredo, NAT64)."""
    found: list[IpAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if ip in _NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def public_address(address: str, *, development: bool = False) -> bool:
    """Whether ``address`` may be fetched from: global unicast (``development``: or
    loopback). Every address it embeds must pass too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    for part in _embedded(ip):
        loopback = part.is_loopback or (
            isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None
            and ip.ipv4_mapped.is_loopback)
        if development and loopback:
            continue
        if not part.is_global or part.is_multicast:
            return False
    return True


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in patterns:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # with the query


@dataclass(frozen=True)
class UrlPolicy:
    """``hosts``: the allow-list (empty: URL inputs off); ``max_bytes``: the upload cap."""

    hosts: tuple[str, ...]
    max_bytes: int
    max_pixels: int
    timeout_s: float = 10.0
    development: bool = False

    @classmethod
    def parse_hosts(cls, value: str) -> tuple[str, ...]:
        return tuple(h.strip().lower().rstrip(".") for h in value.split(",") if h.strip())


class ImageUrlFetcher:
    """Fetch one input image under a :class:`UrlPolicy`. ``resolver`` and ``transport``
    are seams for tests (a fake DNS answer; a real loopback server needs neither)."""

    def __init__(self, policy: UrlPolicy, *, resolver: Resolver = resolve,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.policy = policy
        self._resolve = resolver
        self._transport = transport

    def check(self, url: str, field: str) -> Target:
        """The parts of an acceptable ``url`` (no network); InvalidRequest if not."""
        def refuse(why: str) -> InvalidRequest:
            return InvalidRequest(f"{field}: {why}", field=field)

        if not self.policy.hosts:
            raise refuse("image URLs are not accepted here (the server sets "
                         "IMAGESTUDIO_IMAGE_URL_HOSTS to allow them); upload the file")
        if len(url) > MAX_URL_CHARS:
            raise refuse(f"longer than {MAX_URL_CHARS} characters")
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise refuse("must be an absolute http:// or https:// URL")
        if parts.username or parts.password:
            raise refuse("must not carry credentials")
        if not host_allowed(host, self.policy.hosts):
            raise refuse(f"host {host} is not on this server's list of image hosts")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise refuse("has an invalid port") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(url, parts.scheme, host, port, path)

    async def fetch(self, url: str, *, field: str = "image_url") -> bytes:
        """The image at ``url``, validated as an upload; InvalidRequest naming ``field``
        for anything refused, unreachable, too slow, too large or not an image."""
        target = self.check(url, field)
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                data = await self._follow(target, field)
        except TimeoutError:
            raise InvalidRequest(f"{field}: no whole answer within "
                                 f"{self.policy.timeout_s:g} s", field=field) from None
        except (httpx.HTTPError, OSError) as exc:
            raise InvalidRequest(f"{field}: could not be fetched ({type(exc).__name__})",
                                 field=field) from None
        try:
            await asyncio.to_thread(probe_image, data, max_bytes=self.policy.max_bytes,
                                    max_pixels=self.policy.max_pixels)
        except StudioError as exc:
            message = exc.message.removeprefix("file ").removeprefix("file: ")
            raise InvalidRequest(f"{field}: {message}", field=field,
                                 details={**exc.details, "field": field}) from None
        return data

    async def _follow(self, target: Target, field: str) -> bytes:
        async with httpx.AsyncClient(transport=self._transport, trust_env=False,
                                     follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                address = await self._address(target, field)
                request = self._request(client, target, address)
                response = await client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        target = self.check(urljoin(target.url, location), field)
                        continue
                    return await self._body(response, field)
                finally:
                    await response.aclose()
        raise InvalidRequest(f"{field}: more than {MAX_REDIRECTS} redirects", field=field)

    async def _address(self, target: Target, field: str) -> str:
        try:
            addresses = await self._resolve(target.host, target.port)
        except OSError:
            raise InvalidRequest(f"{field}: host {target.host} does not resolve",
                                 field=field) from None
        refused = [a for a in addresses
                   if not public_address(a, development=self.policy.development)]
        if not addresses or refused:
            raise InvalidRequest(f"{field}: {target.host} resolves to a private, loopback "
                                 "or reserved address", field=field)
        return addresses[0]

    @staticmethod
    def _request(client: httpx.AsyncClient, target: Target, address: str) -> httpx.Request:
        host = f"[{address}]" if ":" in address else address
        name = f"[{target.host}]" if ":" in target.host else target.host
        default_port = target.port == (443 if target.scheme == "https" else 80)
        return client.build_request(
            "GET", f"{target.scheme}://{host}:{target.port}{target.path}",
            headers={"host": name if default_port else f"{name}:{target.port}",
                     "accept": ", ".join(sorted(IMAGE_TYPES)),
                     # the cap counts the bytes as sent: no compressed bomb to inflate
                     "accept-encoding": "identity",
                     "user-agent": "imagestudio-image-url"},
            extensions={"sni_hostname": target.host},
        )

    async def _body(self, response: httpx.Response, field: str) -> bytes:
        if response.status_code != 200:
            raise InvalidRequest(f"{field}: the server answered HTTP {response.status_code}",
                                 field=field)
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in IMAGE_TYPES:
            raise InvalidRequest(f"{field}: not a PNG, JPEG, WebP or GIF image (content "
                                 f"type {kind or 'missing'})", field=field)
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            raise InvalidRequest(f"{field}: the server sent a compressed body (asked for "
                                 "identity)", field=field)
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise InvalidRequest(f"{field}: larger than {limit} bytes", field=field)
        chunks, size = [], 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > limit:
                raise InvalidRequest(f"{field}: larger than {limit} bytes", field=field)
            chunks.append(chunk)
        return b"".join(chunks)
