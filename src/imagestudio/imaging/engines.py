"""Choosing a rendition engine.

``auto`` picks by measurement (``bench/bench_optimize.py``, ``docs/performance.md``): for
renditions the Pillow engine on the SIMD resizer costs about half the CPU of libvips per
set here, so it serves; for large outputs (upscales) libvips holds a third less memory,
so it serves where its wheel is installed.
"""

from __future__ import annotations

from typing import Literal

from imagestudio.imaging.renditions import RenditionEngine

EngineName = Literal["auto", "vips", "pillow"]
Purpose = Literal["renditions", "upscale"]


def rendition_engine(name: EngineName = "auto", purpose: Purpose = "renditions") -> RenditionEngine:
    """The engine called ``name``; ``auto``: the faster one for ``purpose``.

    Raises ``RuntimeError`` when ``vips`` is asked for and libvips cannot be loaded.
    """
    if name == "vips" or (name == "auto" and purpose == "upscale"):
        from imagestudio.imaging import vips

        if vips.available():
            return vips.VipsRenditions()
        if name == "vips":
            raise RuntimeError("libvips is not installed: pip install 'imagestudio[vips]'")
    from imagestudio.imaging.pillow_renditions import PillowRenditions

    return PillowRenditions()
