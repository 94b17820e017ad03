"""Where an encoded JPEG, WebP or GIF image ends, by walking its container structure.

Anything after that end is not part of the picture (a polyglot's HTML, a second MPO
frame, a vendor's trailer): the validator drops it so the stored bytes are exactly the
image that was checked. Each walker raises ``ValueError`` for a structure that runs past
the end of the data, and reads only headers (no pixel data is decoded here).
"""

from __future__ import annotations

import struct

_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length
_JPEG_SOS, _JPEG_EOI = 0xDA, 0xD9


def jpeg_end(data: bytes) -> int:
    """The offset just past the first ``EOI`` that closes the image's last scan."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG (no SOI marker)")
    pos, size = 2, len(data)
    while True:
        if pos + 2 > size or data[pos] != 0xFF:
            raise ValueError("JPEG structure is truncated or malformed")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _JPEG_EOI:
            return pos + 2
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if pos + 4 > size:
            raise ValueError("JPEG structure is truncated or malformed")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
        if length < 2 or pos > size:
            raise ValueError("JPEG segment runs past the end of the data")
        if marker == _JPEG_SOS:
            pos = _scan_end(data, pos)


def _scan_end(data: bytes, pos: int) -> int:
    """The offset of the first marker after entropy-coded data starting at ``pos``
    (``FF 00`` is a stuffed byte and ``FF D0``-``FF D7`` restart markers, both inside)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise ValueError("JPEG scan data is truncated")
        following = data[pos + 1]
        if following == 0 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def webp_end(data: bytes) -> int:
    """The end of the ``RIFF`` container its header declares."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP (no RIFF/WEBP header)")
    length: int = struct.unpack_from("<I", data, 4)[0]
    end = 8 + length + (length & 1)
    if end > len(data):
        raise ValueError("WebP data is truncated")
    return end


def gif_end(data: bytes) -> int:
    """The offset just past the GIF trailer (``;``) that ends its block sequence."""
    if len(data) < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF (no GIF87a/GIF89a header)")
    pos = 13 + _colour_table(data[10])
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, local table, LZW code size, sub-blocks
            if pos + 10 > len(data):
                break
            pos = _sub_blocks(data, pos + 11 + _colour_table(data[pos + 9]))
        else:
            raise ValueError(f"GIF has an unknown block 0x{block:02x}")
    raise ValueError("GIF ends without its trailer")


def _colour_table(flags: int) -> int:
    return 3 * (2 << (flags & 7)) if flags & 0x80 else 0


def _sub_blocks(data: bytes, pos: int) -> int:
    while pos < len(data):
        length = data[pos]
        pos += 1 + length
        if length == 0:
            return pos
    raise ValueError("GIF data is truncated")
