"""The local-edit seam: one protocol, a Pillow engine (always there) and a libvips engine
(where the ``vips`` extra is installed), chosen like the optimizer's rendition engines.

Images cross the seam as Pillow images in mode RGB or RGBA (what the editor decodes);
every method is pure and synchronous (callers on the event loop use a worker thread).
Both engines pass the same tests (``tests/edit/test_local_engines.py``): the same output
size and mode for every operation, pixels within a few levels of each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

from imagestudio.edit.schemas import EditRequest

if TYPE_CHECKING:
    from PIL import Image

EditEngineName = Literal["auto", "vips", "pillow"]


@runtime_checkable
class LocalEditEngine(Protocol):
    name: ClassVar[str]

    def apply(self, op: str, image: Image.Image, request: EditRequest,
              target: tuple[int, int] | None = None) -> Image.Image:
        """``image`` (RGB or RGBA) edited by the local operation ``op`` with the fields of
        ``request`` (``target``: crop to a template's exact size). Gives a new RGB or
        RGBA image; ``image`` is never changed. Raises
        :class:`~imagestudio.errors.InvalidRequest` naming the field for a parameter out
        of range for this image; ``KeyError`` for an ``op`` that is not local."""
        ...


def local_edit_engine(name: EditEngineName = "auto") -> LocalEditEngine:
    """The engine called ``name``; ``auto``: libvips where it loads (its free rotation,
    sharpen and blur are 2-5x faster here, see ``docs/performance.md``), else Pillow.

    Raises ``RuntimeError`` when ``vips`` is asked for and libvips cannot be loaded.
    """
    if name in ("auto", "vips"):
        from imagestudio.imaging import vips

        if vips.available():
            from imagestudio.edit.local_vips import VipsEdits

            return VipsEdits()
        if name == "vips":
            raise RuntimeError("libvips is not installed: pip install 'imagestudio[vips]'")
    from imagestudio.edit.local import PillowEdits

    return PillowEdits()
