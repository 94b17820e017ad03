"""Persistence: SQLAlchemy 2 (async) models, engine/session factories and Alembic migrations."""

from imagestudio.db.session import Database

__all__ = ["Database"]
