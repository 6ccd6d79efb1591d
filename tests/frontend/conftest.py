"""Route tests: the dashboard as a real process in front of the real producer API."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from tests.frontend.arrange import nothing_listens
from tests.servers import uvicorn_server


@pytest.fixture(scope="session")
def frontend_url(producer_url: str) -> Iterator[str]:
    env = {"PRODUCER_API_URL": producer_url, "WORKER_SERVICE_URL": nothing_listens()}
    with uvicorn_server("frontend.main:app", env) as base_url:
        yield base_url


@pytest.fixture
async def web(frontend_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=frontend_url, timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
async def _empty_tables(clean_db: asyncpg.Connection) -> None:
    return None
