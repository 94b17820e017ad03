"""The emulators' multipart/form-data reader: exact parts, strict about malformed bodies."""

from __future__ import annotations

import httpx
import pytest

from imagestudio.emulators._multipart import MalformedForm, parse_form_data


def _encoded(**files: tuple[str, bytes]) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://x/", data={"prompt": "a café", "seed": "7"},
                            files=files)
    return request.headers["content-type"], request.read()


def test_fields_and_files_come_back_in_order():
    content_type, body = _encoded(image=("a.png", b"\x89PNG\r\n--not-a-boundary\r\n"))
    parts = parse_form_data(content_type, body)
    assert [(p.name, p.filename, bytes(p.data)) for p in parts] == [
        ("prompt", None, "a café".encode()),
        ("seed", None, b"7"),
        ("image", "a.png", b"\x89PNG\r\n--not-a-boundary\r\n"),
    ]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda ct, body: (ct, body[:-20]), "no closing boundary"),
        (lambda ct, body: ("multipart/form-data", body), "boundary"),
        (lambda ct, body: (ct, body.replace(b"Content-Disposition", b"X-Other")),
         "Content-Disposition"),
        (lambda ct, body: (ct, b"garbage" + body), "malformed"),
    ],
)
def test_malformed_bodies_are_refused(mangle, message):
    content_type, body = mangle(*_encoded(image=("a.png", b"png")))
    with pytest.raises(MalformedForm, match=message):
        parse_form_data(content_type, body)
