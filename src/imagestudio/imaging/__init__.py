"""Image post-processing: decode untrusted bytes, fit to exact sizes, encode with metadata.

The Pillow engine lives in :mod:`imagestudio.imaging.pillow` and is built by the
composition root; importing this package does not import Pillow.
"""

from imagestudio.imaging.engine import ImageEngine
from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.formats import OUTPUT_FORMATS, OutputFormat, extension_for, media_type_for

__all__ = [
    "OUTPUT_FORMATS",
    "ImageDecodeError",
    "ImageEngine",
    "ImageTooLarge",
    "OutputFormat",
    "extension_for",
    "media_type_for",
]
