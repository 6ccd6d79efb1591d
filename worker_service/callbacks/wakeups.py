"""Wakes the deliverer when deliveries are queued: a LISTEN on jobdeck_callbacks_due, which a
statement trigger on callback_deliveries NOTIFYs (migration 0017), so a callback leaves within
milliseconds of its outcome instead of at the next poll.

The poll (CALLBACK_INTERVAL_SECONDS) stays the fallback: retries fall due without a NOTIFY,
and while the LISTEN connection is lost (TCP keepalives notice a dead peer, and it is
opened again at the next pause) nothing is missed, only later.
"""

import asyncio
import contextlib
import logging

import asyncpg

from worker_service.wakeups import connect_listening

CHANNEL = "jobdeck_callbacks_due"
# After a failed LISTEN, the next attempt waits this long (the poll delivers meanwhile).
RETRY_LISTEN_SECONDS = 10.0
logger = logging.getLogger("worker_service.callbacks")


class DueListener:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._connection: asyncpg.Connection | None = None
        # Set by a NOTIFY; cleared when a pass starts, so one that arrives during a pass
        # makes the next pause end at once.
        self._due = asyncio.Event()
        self._retry_at = 0.0  # loop time before which a failed LISTEN is not tried again
        self.waiting = 0  # deliverers parked in pause() now: tests await it

    def taken(self) -> None:
        """A pass starts: what was notified so far, it will see."""
        self._due.clear()

    async def pause(self, seconds: float) -> None:
        """Until deliveries are queued, or `seconds` pass."""
        await self._ensure_listening()
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), seconds)
        finally:
            self.waiting -= 1

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    async def _ensure_listening(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return
        try:
            self._connection = await self._listen()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            logger.warning("callbacks: cannot LISTEN (%r); polling meanwhile", error)
            self._retry_at = loop.time() + RETRY_LISTEN_SECONDS
            return
        # Queued while nobody listened: look now.
        self._due.set()

    async def _listen(self) -> asyncpg.Connection:
        return await connect_listening(
            self._database_url, "jobdeck-callbacks-listener", {CHANNEL: self._on_notify}
        )

    def _on_notify(self, *_: object) -> None:
        self._due.set()
