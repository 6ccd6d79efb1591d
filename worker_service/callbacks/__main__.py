"""`python -m worker_service.callbacks`: the callback deliverer as a process of its own.

Each worker service delivers callbacks itself by default. At thousands of callbacks a second
the sending competes with the runners' claims for the service's one event loop: run this
beside the worker services (as many as you like: they share the outbox) and set
CALLBACK_IN_SERVICE=false on the services. It reads the worker service's settings
(DATABASE_URL, WEBHOOK_SECRET, CALLBACK_*) and runs until SIGTERM or Ctrl-C.
"""

import asyncio
import logging
import signal

import uvloop

from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.settings import database_url
from jobdeck_runtime import logs
from jobdeck_runtime.maintenance import running
from worker_service.callbacks.deliverer import new_deliverer
from worker_service.settings import Settings, get_settings
from worker_service.store import create_pool

logger = logging.getLogger("worker_service.callbacks")


async def deliver_until_stopped(settings: Settings) -> None:
    url = database_url(settings.database_url)
    await ensure_migrated(url)
    pool = await create_pool(url, 2, durable=True)
    deliverer = new_deliverer(settings, pool, url)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    logger.info("delivering callbacks (concurrency %d)", settings.callback_concurrency)
    try:
        async with running([deliverer]):
            await stopped.wait()
    finally:
        # A pass cut short leaves its deliveries leased: they are tried again when it ends.
        await deliverer.close()
        await pool.close()
    logger.info("stopped")


def main() -> None:
    logs.configure("callbacks")
    uvloop.run(deliver_until_stopped(get_settings()))


if __name__ == "__main__":
    main()
