"""The studio tests run on the credits tests' studio (the API app over SQLite and
PostgreSQL, scriptable fake vendors, an injected clock)."""

from tests.credits.conftest import studio, studio_factory

__all__ = ["studio", "studio_factory"]
