"""The catalog: platforms, templates, styles, quality tiers and models, loaded from data."""

from imagestudio.catalog.loader import Catalog, load_catalog

__all__ = ["Catalog", "load_catalog"]
