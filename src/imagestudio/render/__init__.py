"""The offline draft renderer (provider ``local``): procedural images, not an AI model."""

from imagestudio.render.palette import Palette, PaletteBook
from imagestudio.render.renderer import DraftRenderer

__all__ = ["DraftRenderer", "Palette", "PaletteBook"]
