"""Route tests: the dashboard as a real process in front of the real producer API."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.frontend.arrange import dashboard


@pytest.fixture(scope="session")
def frontend_url(producer_url: str) -> Iterator[str]:
    with dashboard(producer_url) as base_url:
        yield base_url


@pytest.fixture
async def web(frontend_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=frontend_url, timeout=30) as client:
        yield client
