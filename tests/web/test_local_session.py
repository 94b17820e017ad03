import pytest
from starlette.requests import Request

from imagestudio.web.local_session import is_local_request, is_loopback_host


def request(client: str, host: str, content_type: str | None = "application/json") -> Request:
    headers = [(b"host", host.encode())]
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    scope = {
        "type": "http", "method": "POST", "path": "/", "headers": headers,
        "client": (client, 50000), "server": ("127.0.0.1", 8000), "query_string": b"",
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("client", "host"),
    [("127.0.0.1", "127.0.0.1:8000"), ("127.0.0.1", "localhost:8000"), ("::1", "[::1]:8000"),
     ("127.0.0.5", "localhost"), ("::1", "localhost")],
)
def test_loopback_client_naming_a_loopback_host_is_local(client: str, host: str) -> None:
    assert is_local_request(request(client, host))


@pytest.mark.parametrize(
    ("client", "host"),
    [("10.0.0.7", "127.0.0.1:8000"),  # another machine, even naming loopback
     ("192.168.1.2", "localhost:8000"),
     ("127.0.0.1", "studio.example.com"),  # DNS rebinding: loopback socket, foreign name
     ("127.0.0.1", "localhost.evil.example:8000"),
     ("127.0.0.1", "")],
)
def test_anything_else_is_not_local(client: str, host: str) -> None:
    assert not is_local_request(request(client, host))


def test_the_session_request_needs_a_json_body_type() -> None:
    form = request("127.0.0.1", "127.0.0.1:8000", "application/x-www-form-urlencoded")
    assert not is_local_request(form)
    assert not is_local_request(request("127.0.0.1", "127.0.0.1:8000", None))
    assert is_local_request(request("127.0.0.1", "127.0.0.1:8000", None), require_json=False)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]
)
def test_loopback_listen_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.1", "example.com", ""])
def test_other_listen_hosts(host: str) -> None:
    assert not is_loopback_host(host)
