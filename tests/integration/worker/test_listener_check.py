"""A LISTEN connection whose network path died without a word is noticed and replaced."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.eventually import value_becomes
from tests.netproxy import DatabaseProxy
from worker_service.listener_check import ListenerCheck, ListenerCheckSettings
from worker_service.wakeups import CHANNEL, JobsPendingListener

Proxied = tuple[JobsPendingListener, DatabaseProxy]


@pytest.fixture
async def proxied_listener(database_url: str) -> AsyncIterator[Proxied]:
    proxy = DatabaseProxy(database_url)
    listener = JobsPendingListener(proxy.url)
    await listener.start()
    try:
        yield listener, proxy
    finally:
        await listener.stop()
        proxy.close()


async def test_a_half_open_listen_connection_is_replaced_and_wakes_claimers_again(
    proxied_listener: Proxied, db: asyncpg.Connection
) -> None:
    listener, proxy = proxied_listener
    check = ListenerCheck(listener, ListenerCheckSettings(timeout_seconds=0.5))
    assert await check.run_once() is True

    proxy.freeze()  # nothing gets through, and neither end is told
    silent = await check.run_once()
    proxy.thaw()

    assert silent is False
    assert listener.connected is False  # closed at once, not left to TCP's timeouts
    await value_becomes(check.run_once, True)  # reconnected by itself
    wakeup = listener.next_wakeup()
    await db.execute(f"NOTIFY {CHANNEL}")
    await asyncio.wait_for(wakeup.wait(), 5)
