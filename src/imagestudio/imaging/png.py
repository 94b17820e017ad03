"""A fast PNG writer, a pixel-data check, and chunk surgery on PNGs that need no new pixels.

Why not Pillow's PNG encoder: it always runs adaptive row filtering (trying all five
filters on every row) before zlib, which alone costs about 70 ms for a 1080² RGB image
here, so even ``compress_level=1`` cannot get under ~150 ms. This writer applies the
"Up" filter to every row in one vectorised NumPy subtraction (≈2 ms) and deflates with
ISA-L (``isal``, level 1: ≈15 ms for 3.5 MB of pixels). On our benchmark images the
files come out about as small as Pillow's level 1 and 10-25 % larger than Pillow's
default level 6 (figures in ``docs/performance.md``). The output is a plain
non-interlaced 8-bit PNG (colour type 2 or 6) that every decoder reads.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast

from isal import isal_zlib
from PIL import Image
from zlib_ng import zlib_ng

SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFLATE_LEVEL = 1  # ISA-L levels run 0..3; 1 is the speed/size knee on our images
# Chunks a pass-through keeps: what decoding needs. Everything else (text, EXIF, ICC,
# gamma, C2PA, animation) goes, exactly as a decode and re-encode would drop it.
KEPT_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})
_COLOUR_TYPES = {"RGB": 2, "RGBA": 6}
_UP = 2
# zlib-ng's stub declares ``error`` as an instance; at run time it is the exception class.
_InflateError = cast(type[Exception], zlib_ng.error)
# The pixel check inflates at most this much at a time, so checking a decompression bomb
# costs time in proportion to its declared size (capped by the caller) but no memory.
# 1 MiB steps inflate as fast as 4 MiB ones (the output stays in cache) in a quarter of
# the memory.
INFLATE_STEP = 1024 * 1024


def chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload, CRC-32 of type + payload."""
    crc = isal_zlib.crc32(payload, isal_zlib.crc32(kind))
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def text_chunk(keyword: str, text: str) -> bytes:
    """An ``iTXt`` chunk (UTF-8, uncompressed), the form Pillow's ``add_itxt`` writes."""
    return chunk(b"iTXt", keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8"))


def latin1_chunk(keyword: str, text: str) -> bytes:
    """A ``tEXt`` chunk (Latin-1 text)."""
    return chunk(b"tEXt", keyword.encode("latin-1") + b"\0" + text.encode("latin-1"))


def encode_png(image: Image.Image, extra: Sequence[bytes] = ()) -> bytes:
    """``image`` (mode RGB or RGBA) as a PNG with the ``extra`` chunks before the pixels.

    Raises ``ValueError`` for any other mode.
    """
    colour_type = _COLOUR_TYPES.get(image.mode)
    if colour_type is None:
        raise ValueError(f"encode_png takes RGB or RGBA images, not {image.mode}")
    import numpy as np  # only encoding needs it; a server that never encodes skips 11 MiB

    width, height = image.size
    pixels = np.asarray(image).reshape(height, -1)
    rows = np.empty((height, pixels.shape[1] + 1), dtype=np.uint8)
    rows[:, 0] = _UP  # on the first row "Up" predicts from zeros, i.e. no filter
    rows[0, 1:] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])  # uint8 wraps mod 256, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            chunk(b"IHDR", header),
            *extra,
            chunk(b"IDAT", isal_zlib.compress(rows.data, DEFLATE_LEVEL)),
            chunk(b"IEND", b""),
        )
    )


def iter_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview]]:
    """``(type, whole chunk)`` for each chunk up to and including ``IEND``.

    Raises ``ValueError`` for a missing signature, a chunk running past the end, a CRC
    mismatch, or no ``IEND``.
    """
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG signature")
    view = memoryview(data)
    pos = len(SIGNATURE)
    while pos + 12 <= len(view):
        (length,) = struct.unpack_from(">I", view, pos)
        end = pos + 12 + length
        if end > len(view):
            raise ValueError("PNG chunk runs past the end of the data")
        kind = bytes(view[pos + 4 : pos + 8])
        (crc,) = struct.unpack_from(">I", view, end - 4)
        if isal_zlib.crc32(view[pos + 4 : end - 4]) != crc:
            raise ValueError(f"PNG {kind!r} chunk fails its CRC")
        yield kind, view[pos:end]
        if kind == b"IEND":
            return
        pos = end
    raise ValueError("PNG ends without IEND")


def check_pixels(data: bytes, header: Header) -> int:
    """Check ``data`` (whose ``IHDR`` is ``header``) as :func:`replace_metadata` with
    ``check`` does, without copying anything: every CRC, one zlib stream of exactly the
    declared rows, known filter types. Returns the offset just past ``IEND`` (what
    follows it is not part of the image). Memory stays bounded by :data:`INFLATE_STEP`
    whatever the declared size. Raises ``ValueError`` at the first fault."""
    rows = _RowCheck(header)
    end = len(SIGNATURE)
    for kind, whole in iter_chunks(data):
        rows.see(kind, whole)
        end += len(whole)
    rows.finish()
    return end


def has_exif(data: bytes) -> bool:
    """Whether ``data`` (a PNG) may carry EXIF in a form Pillow reads: an ``eXIf`` chunk or
    a "Raw profile type" text chunk. Reads chunk headers only; True when unsure."""
    view = memoryview(data)
    pos = len(SIGNATURE)
    while pos + 8 <= len(view):
        (length,) = struct.unpack_from(">I", view, pos)
        kind = bytes(view[pos + 4 : pos + 8])
        if kind == b"eXIf" or (
            kind in _TEXT_CHUNKS and bytes(view[pos + 8 : pos + 24]) == b"Raw profile type"
        ):
            return True
        if kind == b"IEND":
            return False
        pos += 12 + length
    return True


def replace_metadata(
    data: bytes, extra: Sequence[bytes], *, check: Header | None = None
) -> bytes:
    """``data`` with every chunk outside :data:`KEPT_CHUNKS` dropped and ``extra``
    inserted before the first ``IDAT``; bytes after ``IEND`` are dropped.

    The pixel data is copied, not decoded: validate it first, or pass its ``check``
    header to have it checked in the same pass (see :class:`_RowCheck`). Raises
    ``ValueError`` as :func:`iter_chunks` does, when there is no ``IDAT``, or at the first
    fault the check finds.
    """
    rows = None if check is None else _RowCheck(check)
    parts: list[bytes | memoryview] = [SIGNATURE]
    inserted = False
    for kind, whole in iter_chunks(data):
        if rows is not None:
            rows.see(kind, whole)
        if kind not in KEPT_CHUNKS:
            continue
        if kind == b"IDAT" and not inserted:
            parts.extend(extra)
            inserted = True
        parts.append(whole)
    if not inserted:
        raise ValueError("PNG has no IDAT chunk")
    if rows is not None:
        rows.finish()
    return b"".join(parts)


_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    depth: int
    colour: int
    interlaced: bool

    @property
    def row_bytes(self) -> int:
        """One filtered row of a non-interlaced image: filter byte + packed samples."""
        return 1 + (self.width * _CHANNELS[self.colour] * self.depth + 7) // 8


def read_header(data: bytes) -> Header | None:
    """The ``IHDR`` of ``data``; None unless it is a PNG whose first chunk is a
    well-formed ``IHDR`` of a colour type, depth and methods decoders accept."""
    if len(data) < 33 or not data.startswith(SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour, method, filtering, interlace = struct.unpack_from(
        ">IIBBBBB", data, 16
    )
    if (
        colour not in _CHANNELS or depth not in (1, 2, 4, 8, 16) or method or filtering
        or interlace > 1 or not width or not height
    ):
        return None
    return Header(width, height, depth, colour, interlace == 1)


class _RowCheck:
    """Checks what a decoder needs of a non-interlaced PNG's pixel data without
    unfiltering it, fed one chunk at a time: every chunk's CRC (by :func:`iter_chunks`),
    a palette for a palette image, and ``IDAT``s that inflate to one whole zlib stream of
    exactly ``height`` rows, each starting with a known filter type (0-4). Raises
    ``ValueError`` at the first fault."""

    def __init__(self, header: Header) -> None:
        if header.interlaced:
            raise ValueError("interlaced PNGs are checked by a full decode")
        self._header = header
        self._stride = header.row_bytes
        self._expected = self._stride * header.height
        # zlib-ng inflates PNG pixel data about twice as fast as zlib or ISA-L (ISA-L is
        # quicker at deflate, not at inflating long runs of short matches): 1.1 ms
        # instead of 2.3-2.5 ms for a 1024x1024 RGB gradient (docs/performance.md).
        self._inflate = zlib_ng.decompressobj()
        self._seen = 0
        self._palette = False

    def see(self, kind: bytes, whole: memoryview) -> None:
        self._palette = self._palette or kind == b"PLTE"
        if kind != b"IDAT":
            return
        data: bytes | memoryview = whole[8:-4]
        while True:
            step = min(self._expected - self._seen + 1, INFLATE_STEP)
            try:
                rows = self._inflate.decompress(data, step)
            except _InflateError as exc:
                raise ValueError(f"PNG pixel data does not inflate: {exc}") from exc
            if self._seen + len(rows) > self._expected:
                raise ValueError("PNG holds more pixel data than its size")
            first = (-self._seen) % self._stride
            if len(rows) > first and max(rows[first::self._stride]) > 4:
                raise ValueError("PNG row with an unknown filter type")
            self._seen += len(rows)
            data = self._inflate.unconsumed_tail
            # A full output buffer may leave output pending inside the inflater.
            if not data and (len(rows) < step or self._inflate.eof):
                return

    def finish(self) -> None:
        if self._seen != self._expected or not self._inflate.eof:
            raise ValueError("PNG pixel data is truncated")
        if self._header.colour == 3 and not self._palette:
            raise ValueError("palette PNG without PLTE")
