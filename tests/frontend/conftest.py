"""Route tests: the dashboard as a real process in front of the real producer API, asked by
clients signed in through its /login (an admin's unless a test asks for another role)."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from jobdeck_access.roles import Role
from tests.frontend.arrange import dashboard, signed_in


@pytest.fixture(scope="session")
def frontend_url(producer_url: str) -> Iterator[str]:
    with dashboard(producer_url) as base_url:
        yield base_url


@pytest.fixture
async def web(frontend_url: str, tokens: dict[Role, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(frontend_url, tokens[Role.ADMIN]) as client:
        yield client


@pytest.fixture
async def web_viewer(
    frontend_url: str, tokens: dict[Role, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(frontend_url, tokens[Role.VIEWER]) as client:
        yield client


@pytest.fixture
async def web_producer(
    frontend_url: str, tokens: dict[Role, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(frontend_url, tokens[Role.PRODUCER]) as client:
        yield client


@pytest.fixture
async def web_operator(
    frontend_url: str, tokens: dict[Role, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(frontend_url, tokens[Role.OPERATOR]) as client:
        yield client


@pytest.fixture
async def anonymous(frontend_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Nobody signed in."""
    async with httpx.AsyncClient(base_url=frontend_url, timeout=30) as client:
        yield client
