"""The rescuer: jobs whose runner stopped renewing its lease go back to the queue.

`run_once()` does one bounded pass (tests call it directly); `run_forever()` repeats it.
Safe with several worker services: the statement itself claims rows with SKIP LOCKED.
"""

import asyncio
import logging

from jobdeck_db.availability import is_connection_problem
from worker_service import metrics
from worker_service.store import WorkerStore

logger = logging.getLogger("worker_service.rescuer")


class Rescuer:
    def __init__(self, store: WorkerStore, interval_seconds: float, batch_size: int) -> None:
        self._store = store
        self._interval = interval_seconds
        self._batch_size = batch_size

    async def run_once(self) -> int:
        """Rescue up to one batch of expired leases; return how many."""
        rescued = await self._store.rescue_expired(self._batch_size)
        metrics.RESCUES.inc(len(rescued))
        for status, count in (await self._store.counts_by_status()).items():
            metrics.QUEUE_DEPTH.labels(status).set(count)
        return len(rescued)

    async def run_forever(self) -> None:
        passes = 0
        while True:
            try:
                rescued = await self.run_once()
                if passes % 3600 == 0:
                    await self._store.forget_stale_workers()
                passes += 1
            except Exception as error:
                # The database may be restarting: say so briefly and try again next tick.
                if not is_connection_problem(error):
                    logger.exception("rescuer pass failed")
                else:
                    logger.warning("rescuer: database unavailable (%s)", error)
                rescued = 0
            # A full batch means more may be waiting: go again at once.
            if rescued < self._batch_size:
                await asyncio.sleep(self._interval)
