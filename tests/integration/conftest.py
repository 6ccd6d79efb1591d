"""Every integration test starts from empty tables."""

import asyncpg
import pytest


@pytest.fixture(autouse=True)
async def _empty_tables(clean_db: asyncpg.Connection) -> None:
    return None
