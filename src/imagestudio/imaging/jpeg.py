"""Segment surgery on JPEGs that need no new pixels: swap the metadata, keep the scan.

Only the header segments before the first scan (``SOS``) are parsed; the entropy-coded
data after it is copied byte for byte, so the picture is exactly the one that was
decoded to validate it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

SOI = b"\xff\xd8"
_SOS = 0xDA
_APP0 = 0xE0  # JFIF
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length
# APP1-13, APP15, COM. APP14 (Adobe) stays: its colour-transform flag changes decoding.
_DROPPED = frozenset({*range(0xE1, 0xEE), 0xEF, 0xFE})


def segment(marker: int, payload: bytes) -> bytes:
    """One JPEG marker segment; raises ``ValueError`` past the 65,533-byte limit."""
    if len(payload) > 0xFFFD:
        raise ValueError(f"JPEG segment payload is {len(payload)} bytes; the limit is 65533")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def replace_metadata(data: bytes, extra: Sequence[bytes]) -> bytes:
    """``data`` without its APP1-APP13, APP15 and COM segments (EXIF, XMP, ICC, IPTC,
    C2PA, comments), with ``extra`` segments inserted after the leading APP0 (JFIF).

    Raises ``ValueError`` for data that is not a JPEG or whose header segments run past
    the end.
    """
    if not data.startswith(SOI):
        raise ValueError("not a JPEG (no SOI marker)")
    view = memoryview(data)
    head: list[bytes | memoryview] = [SOI]
    pos, inserted = 2, False
    while True:
        if pos + 2 > len(view) or view[pos] != 0xFF:
            raise ValueError("JPEG header is truncated or malformed")
        marker = view[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if not inserted and marker != _APP0:
            head.extend(extra)
            inserted = True
        if marker == _SOS:
            head.append(view[pos:])
            return b"".join(head)
        if marker in _STANDALONE:
            head.append(view[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > len(view):
            raise ValueError("JPEG header is truncated or malformed")
        (length,) = struct.unpack_from(">H", view, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(view):
            raise ValueError("JPEG segment runs past the end of the data")
        if marker not in _DROPPED:
            head.append(view[pos:end])
        pos = end

