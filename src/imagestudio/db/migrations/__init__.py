"""Alembic environment and revisions (run through :mod:`imagestudio.db.migrate`)."""
