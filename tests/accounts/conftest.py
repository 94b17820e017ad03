from collections.abc import AsyncIterator

import pytest

from imagestudio.db.migrate import upgrade
from imagestudio.db.session import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.connect(database_url)
    await upgrade(database.engine)
    try:
        yield database
    finally:
        await database.aclose()
