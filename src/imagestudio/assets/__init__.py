"""The asset store (content-addressed files) and the per-user asset library on top of it."""

from imagestudio.assets.store import AssetStore, LocalAssetStore, StoredFile

__all__ = ["AssetStore", "LocalAssetStore", "StoredFile"]
