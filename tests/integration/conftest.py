"""The worker service's store and rescuer in-process, for tests that rescue exactly when they
say (the services under test wait an hour between rescuer passes)."""

from collections.abc import AsyncIterator, Iterator

import pytest

from devstack.databases import migrated_database
from worker_service.rescuer import Rescuer, RescuerSettings
from worker_service.store import WorkerStore, create_pool


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[WorkerStore]:
    durable = await create_pool(database_url, 2, durable=True)
    fast = await create_pool(database_url, 2, durable=False)
    try:
        yield WorkerStore(durable, fast, 60, 2, 300)
    finally:
        await durable.close()
        await fast.close()


@pytest.fixture
def rescuer(store: WorkerStore) -> Rescuer:
    return Rescuer(store, RescuerSettings(batch_size=100))


@pytest.fixture(scope="module")
def quiet_database_url(server_url: str) -> Iterator[str]:
    """A database of the test module's own, which no service runs against: the producer API
    under test folds the shared one's rollups every few seconds, which could fold rows before
    a test counts them."""
    with migrated_database(server_url, "jobdeck_quiet") as url:
        yield url
