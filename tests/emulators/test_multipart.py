"""The emulators' multipart/form-data reader: exact parts, strict about malformed bodies."""

from __future__ import annotations

import httpx
import pytest

from imagestudio.emulators._multipart import (
    FormProblem,
    MalformedForm,
    parse_form_data,
    read_form_data,
)


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


def _request(data: dict[str, str], files: list[tuple[str, tuple[str, bytes]]]) -> httpx.Request:
    # The skipped dummy part keeps httpx from url-encoding a form without files.
    request = httpx.Request("POST", "http://x/", data=data,
                            files=[*files, ("none", ("none", b""))])
    request.read()
    return request


def test_a_form_is_split_into_text_fields_and_files():
    request = _request({"prompt": "a café"}, [("image", ("a.png", b"1")),
                                               ("image", ("b.png", b"2"))])
    form = read_form_data(request, files={"image"}, fields={"prompt"}, many={"image"},
                          dummy="none")
    assert form.fields == {"prompt": "a café"}
    assert form.files == {"image": [b"1", b"2"]}


@pytest.mark.parametrize(
    ("data", "files", "field", "reason"),
    [
        ({"image": "text"}, [], "image", "file_expected"),
        ({}, [("prompt", ("p", b"x"))], "prompt", "text_expected"),
        ({}, [("photo", ("p", b"x"))], "photo", "unknown"),
        ({"colour": "red"}, [], "colour", "unknown"),
        ({}, [("image", ("a", b"1")), ("image", ("b", b"2"))], "image", "repeated"),
        ({}, [("none", ("none", b"not empty"))], "none", "unknown"),
    ],
)
def test_every_wrong_part_is_refused_by_name(data, files, field, reason):
    request = _request(data, files)
    with pytest.raises(FormProblem) as caught:
        read_form_data(request, files={"image"}, fields={"prompt"}, dummy="none")
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert str(caught.value).startswith(f"{field}: ")


def test_text_must_be_utf8_and_the_body_well_formed():
    sent = _request({"prompt": "café"}, [])
    content_type = {"content-type": sent.headers["content-type"]}
    cut = httpx.Request("POST", "http://x/", headers=content_type, content=sent.content[:-20])
    with pytest.raises(FormProblem, match="no closing boundary") as caught:
        read_form_data(cut, files=(), dummy="none")
    assert (caught.value.field, caught.value.reason) == ("body", "malformed")
    latin = sent.content.replace("café".encode(), "café".encode("latin-1"))
    odd = httpx.Request("POST", "http://x/", headers=content_type, content=latin)
    with pytest.raises(FormProblem, match="prompt: must be UTF-8 text"):
        read_form_data(odd, files=(), dummy="none")
