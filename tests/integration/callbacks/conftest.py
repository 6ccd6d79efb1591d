"""Callbacks end to end: jobs created through the producer API and finished through the real
worker service, delivered by a deliverer run in-process (`run_once()`, when a test says) to a
real receiver on loopback."""

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from tests.callbacks import make_deliverer
from tests.peers import smtp_server  # noqa: F401  # the alert mail tests' SMTP server
from tests.receiver import Receiver, running_receiver
from worker_service.callbacks.deliverer import CallbackDeliverer
from worker_service.store import create_pool


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
async def outbox_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, 2, durable=True)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def deliverer(outbox_pool: asyncpg.Pool) -> AsyncIterator[CallbackDeliverer]:
    deliverer = make_deliverer(outbox_pool)
    try:
        yield deliverer
    finally:
        await deliverer.close()
