"""The blob tests run on the credits tests' studio (the API app over SQLite and
PostgreSQL, an injected clock)."""

from tests.credits.conftest import studio, studio_factory

__all__ = ["studio", "studio_factory"]
