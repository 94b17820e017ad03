"""Content-addressed file storage for images.

A file's key is ``ab/<sha256>.<ext>`` (``ab`` = the hash's first two hex digits, as in
git's object store: 256 folders, each made once): the same bytes are stored once,
whoever owns records pointing at them. Keys written by earlier builds,
``ab/cd/<sha256>.<ext>``, stay valid. Keys are validated against those exact patterns
before any path is built, so a key can never name a file outside the store's root.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from imagestudio.errors import InvalidRequest

EXTENSIONS = ("png", "jpg", "webp", "gif", "mp4")
# Below this size hashing and writing cost less than a hop to a worker thread.
INLINE_WRITE_BYTES = 256 * 1024
_TMP_PREFIX = ".tmp-"
_KEY_RE = re.compile(r"^([0-9a-f]{2})/(?:([0-9a-f]{2})/)?([0-9a-f]{64})\.(png|jpg|webp|gif|mp4)$")


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int
    poster_key: str | None = None
    """A video's poster frame (JPEG), stored beside it."""


def key_for(sha256: str, extension: str) -> str:
    """The key of content ``sha256`` with ``extension``; raises InvalidRequest for bad input."""
    return check_key(f"{sha256[:2]}/{sha256}.{extension}")


def check_key(key: str) -> str:
    """Return ``key`` if it is a well-formed content key, else raise InvalidRequest."""
    match = _KEY_RE.match(key)
    if match is None or not match.group(3).startswith(match.group(1) + (match.group(2) or "")):
        raise InvalidRequest("invalid asset file key", field="file_key")
    return key


@runtime_checkable
class AssetStore(Protocol):
    """Where image bytes live. Every method validates ``key`` (InvalidRequest if malformed).

    Only :class:`~imagestudio.assets.blobs.Blobs` writes and deletes: it claims a key in the
    database before writing it, and deletes only what its garbage collector proved
    unreferenced (see that module for the lifetime rule).
    """

    async def write(self, key: str, data: bytes) -> None:
        """Store ``data`` under its content ``key``; a no-op when that file is there."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> bool:
        """Remove the file; True if it existed."""
        ...

    def delete_blocking(self, key: str) -> bool:
        """:meth:`delete` for a caller that must not yield (inside a SQLite write)."""
        ...

    async def read(self, key: str) -> bytes:
        """The file's bytes; raises FileNotFoundError."""
        ...

    def stored_keys(self) -> AsyncIterator[str]:
        """Every stored key (temporary files of unfinished writes excluded)."""
        ...

    async def remove_partial(self, older_than_s: float) -> int:
        """Remove what writes interrupted more than ``older_than_s`` ago left (a killed
        process's temporary files); the number removed. 0 where writes are atomic."""
        ...


def content_key(data: bytes, extension: str) -> StoredFile:
    """The key, hash and size of ``data`` stored with ``extension``."""
    if extension not in EXTENSIONS:
        raise InvalidRequest(f"unsupported file extension {extension!r}", field="extension")
    sha = hashlib.sha256(data).hexdigest()
    return StoredFile(key=key_for(sha, extension), sha256=sha, size=len(data))


class LocalAssetStore:
    """Files under ``root``; written to a temp file in the target folder, then renamed.

    ``fsync`` trades throughput for durability across power loss; a process crash never
    leaves a partial file under a final name either way.
    """

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root.resolve()
        self._root = str(self.root)
        self._fsync = fsync
        self._dirs: set[str] = set()

    async def put(self, data: bytes, *, extension: str) -> StoredFile:
        """Hash and write ``data`` with no claim: for tests and tools outside the studio."""
        stored = content_key(data, extension)
        await self.write(stored.key, data)
        return stored

    async def write(self, key: str, data: bytes) -> None:
        check_key(key)
        if len(data) <= INLINE_WRITE_BYTES and not self._fsync:
            self._write(key, data)
        else:
            await asyncio.to_thread(self._write, key, data)

    async def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    async def delete(self, key: str) -> bool:
        return self.delete_blocking(key)

    def delete_blocking(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def path(self, key: str) -> Path:
        """A local path to stream from (the file may not exist)."""
        return self.root / check_key(key)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def stored_keys(self) -> AsyncIterator[str]:
        for found in await asyncio.to_thread(self._list):
            yield found

    async def remove_partial(self, older_than_s: float) -> int:
        return await asyncio.to_thread(self._remove_partial, time.time() - older_than_s)

    def _remove_partial(self, before: float) -> int:
        removed = 0
        for folder, _dirs, names in os.walk(self._root):
            for name in names:
                path = os.path.join(folder, name)
                if name.startswith(_TMP_PREFIX) and _mtime(path) < before:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                        removed += 1
        return removed

    def _list(self) -> list[str]:
        found: list[str] = []
        for folder, _dirs, names in os.walk(self._root):
            rel = os.path.relpath(folder, self._root).replace(os.sep, "/")
            for name in names:
                key = name if rel == "." else f"{rel}/{name}"
                if _KEY_RE.match(key):
                    found.append(key)
        return sorted(found)

    def _write(self, key: str, data: bytes) -> None:
        # Plain os calls on str paths: this runs on the event loop for small files, and
        # pathlib plus tempfile cost more than the system calls themselves.
        target = os.path.join(self._root, key)
        try:
            if os.stat(target).st_size == len(data):
                return
        except FileNotFoundError:
            pass
        folder = os.path.dirname(target)
        if folder not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            self._dirs.add(folder)
        tmp = os.path.join(folder, f"{_TMP_PREFIX}{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if self._fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")
