"""The imaging seam: decode, exact-size fit, encode with metadata, read metadata back.

:class:`~imagestudio.imaging.pillow.PillowEngine` is the default; a pyvips engine can slot
in behind the same protocol. Images cross the seam as Pillow images (the type providers
hand over as ``GeneratedImage.pixels``). Every method is pure and synchronous: callers on
the event loop run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from imagestudio.imaging.formats import OutputFormat

if TYPE_CHECKING:
    from PIL import Image


@runtime_checkable
class ImageEngine(Protocol):
    name: ClassVar[str]

    def decode(self, data: bytes, *, max_pixels: int) -> Image.Image:
        """Decode untrusted bytes into an RGB or RGBA image (EXIF orientation applied).

        Raises :class:`~imagestudio.imaging.errors.ImageTooLarge` when the header declares
        more than ``max_pixels`` pixels (checked before any pixel is decoded) and
        :class:`~imagestudio.imaging.errors.ImageDecodeError` for unknown, truncated or
        corrupt data.
        """
        ...

    def fit(
        self,
        image: Image.Image,
        width: int,
        height: int,
        *,
        focal: tuple[float, float] = (0.5, 0.5),
    ) -> Image.Image:
        """Cover-crop to the ``width:height`` ratio around ``focal`` (fractions of the
        source, default the centre) and resample to exactly ``width × height``.

        Returns ``image`` itself when it already has that size. Raises ``ValueError`` for a
        non-positive size or a focal point outside ``[0, 1]``.
        """
        ...

    def encode(
        self, image: Image.Image, fmt: OutputFormat, *, metadata: Mapping[str, Any] | None = None
    ) -> bytes:
        """Encode ``image`` as ``fmt``; alpha is flattened onto white for JPEG.

        ``metadata`` (JSON-serialisable) is embedded in the file; ``None`` writes none.
        Raises ``ValueError`` for an unknown format or metadata the format cannot hold.
        """
        ...

    def repackage(
        self,
        data: bytes,
        fmt: OutputFormat,
        width: int,
        height: int,
        *,
        metadata: Mapping[str, Any] | None,
        max_pixels: int,
        decoded: bool = False,
    ) -> bytes | None:
        """``data`` with its own metadata dropped and ``metadata`` embedded as
        :meth:`encode` would, when ``data`` already is a ``width × height`` ``fmt`` image
        whose decoded pixels :meth:`encode` would write unchanged; ``None`` otherwise.

        Skipping the decode-resize-encode round trip must not skip validation: eligible
        data is fully decoded, raising what :meth:`decode` raises, unless ``decoded``
        says the caller already decoded exactly these bytes.
        """
        ...

    def read_metadata(self, data: bytes) -> dict[str, Any] | None:
        """The metadata :meth:`encode` embedded, or ``None`` when there is none.

        Raises :class:`~imagestudio.imaging.errors.ImageDecodeError` for unreadable bytes.
        """
        ...
