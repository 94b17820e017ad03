"""Write finished images (and their JSON sidecars) into a directory, atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from imagestudio.generation.postprocess import RenderedImage


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp creates 0600; files are for sharing
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_image(
    out_dir: Path, stem: str, index: int, image: RenderedImage, *, sidecar: bool
) -> Path:
    """Write ``image`` as ``<stem>-<n>-<sha8>.<ext>`` (content-addressed, never clobbering
    a different image) plus ``.json`` sidecar when asked; return the image path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}-{index + 1}-{image.sha256[:8]}{image.extension}"
    _atomic_write(path, image.data)
    if sidecar:
        meta = json.dumps(image.metadata, indent=2, ensure_ascii=False).encode()
        _atomic_write(path.with_suffix(path.suffix + ".json"), meta)
    return path
