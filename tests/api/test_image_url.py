"""Input images by URL against a real loopback HTTP server: fetched within the caps,
and every way to reach what only the server can reach refused before a byte is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.api.image_server import ImageServer, image_server, png_bytes
from tests.edit.conftest import bomb

from imagestudio.api.image_url import ImageUrlFetcher, UrlPolicy, public_address
from imagestudio.errors import InvalidRequest

CAP = 300_000


def fetcher(hosts: str = "127.0.0.1", *, development: bool = True, timeout_s: float = 2.0,
            resolver: object = None) -> ImageUrlFetcher:
    policy = UrlPolicy(UrlPolicy.parse_hosts(hosts), max_bytes=CAP, max_pixels=4_000_000,
                       timeout_s=timeout_s, development=development)
    if resolver is None:
        return ImageUrlFetcher(policy)
    return ImageUrlFetcher(policy, resolver=resolver)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[ImageServer]:
    async with image_server() as served:
        yield served


async def refused(fetch: ImageUrlFetcher, url: str) -> str:
    with pytest.raises(InvalidRequest) as caught:
        await fetch.fetch(url)
    assert caught.value.details["field"] == "image_url"
    assert caught.value.http_status == 422
    assert caught.value.message.startswith("image_url: ")
    return caught.value.message


async def test_an_allowed_loopback_image_is_fetched_in_development(server: ImageServer) -> None:
    assert await fetcher().fetch(server.url("/photo.png?v=1")) == png_bytes()
    assert server.hits == ["/photo.png?v=1"]


async def test_production_refuses_loopback_before_connecting(server: ImageServer) -> None:
    production = fetcher("127.0.0.1,localhost,*.localhost", development=False)
    for url in (server.url("/photo.png"), server.url("/photo.png").replace(
            "127.0.0.1", "localhost"), server.url("/photo.png").replace("127.0.0.1", "[::1]")):
        message = await refused(production, url)
        assert "private, loopback or reserved" in message or "not on this server" in message
    assert server.hits == []


@pytest.mark.parametrize("host", [
    "10.0.0.7", "192.168.1.1", "172.16.0.1", "169.254.169.254", "100.100.100.200",
    "0.0.0.0", "224.0.0.1", "[fd00:ec2::254]", "[fe80::1]", "[::ffff:10.0.0.1]",
    "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::1]",
])
async def test_private_link_local_and_metadata_addresses_are_refused_even_in_development(
    host: str,
) -> None:
    fetch = fetcher(host.strip("[]"))
    assert "private, loopback or reserved" in await refused(fetch, f"http://{host}/x.png")


def test_public_addresses_pass_and_what_they_embed_is_checked() -> None:
    assert public_address("8.8.8.8") and public_address("2606:4700:4700::1111")
    assert not public_address("127.0.0.1") and not public_address("::1")
    assert public_address("127.0.0.1", development=True)
    assert public_address("::ffff:127.0.0.1", development=True)
    assert not public_address("::ffff:169.254.169.254", development=True)
    assert not public_address("64:ff9b::7f00:1")  # NAT64 of 127.0.0.1


async def test_every_resolved_address_must_be_public() -> None:
    async def two_answers(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    async def no_answer(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    fetch = fetcher("images.example.com", development=False, resolver=two_answers)
    message = await refused(fetch, "https://images.example.com/a.png")
    assert "images.example.com resolves to a private" in message
    lost = fetcher("images.example.com", resolver=no_answer)
    assert "does not resolve" in await refused(lost, "https://images.example.com/a.png")


async def test_the_allow_list_scheme_and_credentials(server: ImageServer) -> None:
    assert "not accepted here" in await refused(fetcher(""), server.url("/photo.png"))
    assert "not on this server's list" in await refused(
        fetcher("cdn.example.com,*.example.org"), server.url("/photo.png"))
    fetch = fetcher("127.0.0.1")
    assert "absolute http" in await refused(fetch, "ftp://127.0.0.1/photo.png")
    assert "absolute http" in await refused(fetch, "/photo.png")
    assert "credentials" in await refused(
        fetch, server.url("/photo.png").replace("//", "//user:pw@"))
    assert "longer than 2000" in await refused(fetch, server.url("/" + "a" * 2000))
    assert server.hits == []


async def test_redirects_are_checked_at_every_hop(server: ImageServer) -> None:
    fetch = fetcher("127.0.0.1")
    server.redirect_to = "/photo.png"
    assert await fetch.fetch(server.url("/redirect")) == png_bytes()
    server.redirect_to = "http://169.254.169.254/latest/meta-data/"
    assert "not on this server's list" in await refused(fetch, server.url("/redirect"))
    anywhere = fetcher("*")
    assert "private, loopback or reserved" in await refused(anywhere, server.url("/redirect"))
    server.redirect_to = server.url("/photo.png").replace("127.0.0.1", "localhost")
    assert "host localhost is not on" in await refused(fetch, server.url("/redirect"))
    assert "more than 3 redirects" in await refused(fetch, server.url("/loop"))
    assert server.hits.count("/photo.png") == 1  # only the first, allowed, redirect


async def test_what_comes_back_must_be_a_whole_image_within_the_caps(
    server: ImageServer,
) -> None:
    fetch = fetcher("127.0.0.1")
    assert "HTTP 404" in await refused(fetch, server.url("/missing.png"))
    assert "content type text/html" in await refused(fetch, server.url("/page"))
    assert f"larger than {CAP} bytes" in await refused(fetch, server.url("/huge"))
    assert "compressed body" in await refused(fetch, server.url("/gzip"))
    server.body = bomb()
    assert "the limit is 4000000" in await refused(fetch, server.url("/photo.png"))
    server.body = png_bytes()[:-30]
    assert "not a whole PNG" in await refused(fetch, server.url("/photo.png"))


async def test_one_deadline_covers_the_whole_fetch(server: ImageServer) -> None:
    fetch = fetcher("127.0.0.1", timeout_s=0.3)
    assert "no whole answer within 0.3 s" in await refused(fetch, server.url("/slow"))
