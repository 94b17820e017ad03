"""A strict ``multipart/form-data`` reader for the emulators (RFC 7578), on
``python-multipart``'s streaming parser: the e-mail package's MIME parser took about 8 ms
per Stability request, CPU the benchmarks' studio then had to share."""

from __future__ import annotations

from dataclasses import dataclass, field

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
