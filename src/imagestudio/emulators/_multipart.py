"""A strict ``multipart/form-data`` reader for the emulators (RFC 7578), on
``python-multipart``'s streaming parser: the e-mail package's MIME parser took about 8 ms
per Stability request, CPU the benchmarks' studio then had to share. :func:`read_form_data`
is the one place an emulator checks a form's parts (files vs text, known names, repeats)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import httpx
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header


class MalformedForm(ValueError):
    """The body is not well-formed multipart/form-data; the message says why."""


@dataclass
class FormPart:
    name: str | None = None
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""


def parse_form_data(content_type: str, body: bytes) -> list[FormPart]:
    """The parts of ``body`` in order; raises :class:`MalformedForm`."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MalformedForm("content-type: must be multipart/form-data with a boundary")
    parts: list[FormPart] = []
    header: list[bytes] = [b"", b""]
    ended = False

    def on_part_begin() -> None:
        parts.append(FormPart())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        if header[0].lower() == b"content-disposition":
            parts[-1].disposition = header[1]
        header[0] = header[1] = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data += data[start:end]

    def on_end() -> None:
        nonlocal ended
        ended = True

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_part_data": on_part_data, "on_end": on_end,
    })
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise MalformedForm(f"body: malformed multipart/form-data ({exc})") from exc
    if not ended or not parts:
        raise MalformedForm("body: malformed multipart/form-data (no closing boundary)")
    for part in parts:
        disposition, options = parse_options_header(part.disposition)
        if disposition != b"form-data":
            raise MalformedForm("body: a part without Content-Disposition: form-data")
        name = options.get(b"name")
        part.name = name.decode("utf-8", "replace") if name else None
        filename = options.get(b"filename")
        part.filename = None if filename is None else filename.decode("utf-8", "replace")
    return parts


class FormProblem(ValueError):
    """A body or part an endpoint's form contract refuses. ``field`` names the part
    (``body`` or ``content-type`` for the whole), ``reason`` is one of ``malformed``,
    ``unnamed``, ``repeated``, ``not_utf8``, ``file_expected`` (a text part named like a
    file), ``text_expected`` (a file part named like a text field) and ``unknown``;
    ``str()`` is the ``"<field>: <reason>"`` line Stability answers with, and emulators of
    vendors that word it otherwise map ``reason``."""

    def __init__(self, field: str, reason: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.reason = reason
        self.detail = detail


@dataclass
class Form:
    """A form split by kind: text fields decoded, file parts by name in order."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)


def read_form_data(
    request: httpx.Request, *, files: Collection[str], fields: Collection[str] | None = None,
    many: Collection[str] = (), dummy: str | None = None,
) -> Form:
    """The request's form, every part checked against the endpoint's contract: file parts
    only under the names in ``files``, text parts (UTF-8) only under ``fields`` (``None``:
    any name that is not a file's, left to the form model's ``extra="forbid"``), each name
    once unless it is in ``many``; an empty file part named ``dummy`` is skipped (Stability's
    samples send one). Raises :class:`FormProblem` for the first part at fault."""
    try:
        parts = parse_form_data(request.headers.get("content-type", ""), request.content)
    except MalformedForm as exc:
        where, _, detail = str(exc).partition(": ")
        raise FormProblem(where, "malformed", detail) from exc
    form = Form()
    for part in parts:
        name = part.name
        if not name:
            raise FormProblem("body", "unnamed", "multipart part without a name")
        if name in form.fields or (name in form.files and name not in many):
            raise FormProblem(name, "repeated", "given more than once")
        if part.filename is not None:
            if name == dummy and not part.data:
                continue
            if name not in files:
                reason = "text_expected" if fields is None or name in fields else "unknown"
                raise FormProblem(name, reason, "must be a form field, not a file")
            form.files.setdefault(name, []).append(bytes(part.data))
        elif name in files:
            raise FormProblem(name, "file_expected", "must be a file")
        elif fields is not None and name not in fields:
            raise FormProblem(name, "unknown", "is not a known field")
        else:
            try:
                form.fields[name] = bytes(part.data).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormProblem(name, "not_utf8", "must be UTF-8 text") from exc
    return form
