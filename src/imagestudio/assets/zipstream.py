"""Stream a ZIP archive of stored files chunk by chunk, never holding it in memory.

The generator is synchronous (file reads block): Starlette iterates it in a worker
thread. Images are already compressed, so entries are stored, not deflated.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

CHUNK = 64 * 1024
_SLUG_RE = re.compile(r"[^a-z0-9]+")


class _Sink:
    """A write-only, non-seekable file object collecting what ZipFile writes."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def drain(self) -> Iterator[bytes]:
        chunks, self.chunks = self.chunks, []
        if chunks:
            yield b"".join(chunks)


def entry_name(index: int, label: str | None, asset_id: str, extension: str) -> str:
    """A safe archive member name: ``001-modern-coffee-shop-1a2b3c4d.png`` (no paths)."""
    slug = _SLUG_RE.sub("-", (label or "image").lower()).strip("-")[:40] or "image"
    return f"{index:03d}-{slug}-{asset_id[:8]}.{extension}"


def zip_chunks(entries: Iterable[tuple[str, Path | bytes]]) -> Iterator[bytes]:
    """Yield the bytes of a ZIP holding each ``(name, path or content)``."""
    sink = _Sink()
    stamp = time.gmtime()[:6]
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.file_size = len(path) if isinstance(path, bytes) else path.stat().st_size
            source_of = io.BytesIO(path) if isinstance(path, bytes) else path.open("rb")
            with source_of as source, archive.open(info, mode="w") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
