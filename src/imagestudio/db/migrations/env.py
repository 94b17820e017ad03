"""Alembic environment: runs on the connection handed over by ``imagestudio.db.migrate``.

Run standalone (``alembic -x url=... upgrade head``) it opens its own async engine.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import imagestudio.db.credit_models  # noqa: F401  (registers the credit tables)
import imagestudio.db.job_models  # noqa: F401  (registers the job tables)
import imagestudio.db.models  # noqa: F401  (registers the tables)
from imagestudio.db.base import Base
from imagestudio.db.session import create_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("pass the database URL: alembic -x url=... upgrade head")
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (conn := context.config.attributes.get("connection")) is not None:
    _run(conn)
else:
    asyncio.run(_run_standalone(_url()))
