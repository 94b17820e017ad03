"""Image Studio: platform-ready marketing images from one brief, through one API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
