"""Choosing a rendition engine: libvips when its wheel is installed, else Pillow."""

from __future__ import annotations

from typing import Literal

from imagestudio.imaging.renditions import RenditionEngine

EngineName = Literal["auto", "vips", "pillow"]


def rendition_engine(name: EngineName = "auto") -> RenditionEngine:
    """The engine called ``name``; ``auto`` is libvips where it loads, else Pillow.

    Raises ``RuntimeError`` when ``vips`` is asked for and libvips cannot be loaded.
    """
    if name in ("auto", "vips"):
        from imagestudio.imaging import vips

        if vips.available():
            return vips.VipsRenditions()
        if name == "vips":
            raise RuntimeError("libvips is not installed: pip install 'imagestudio[vips]'")
    from imagestudio.imaging.pillow_renditions import PillowRenditions

    return PillowRenditions()
