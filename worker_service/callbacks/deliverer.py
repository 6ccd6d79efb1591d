"""The deliverer: sends the outbox's due callbacks, a bounded batch per pass.

Each pass leases its batch (SKIP LOCKED, and next_try_at pushed past the try: deliverers share
the work and never send one delivery twice at once), tries them concurrently holding no lock
or transaction, then records every try. A crash leaves the batch due again when its lease
ends: what was in flight is tried once more, and nothing is lost. A delivery ends at the first
2xx, at 410, at a refused destination, or after CALLBACK_MAX_ATTEMPTS tries; between tries it
waits an exponential back-off with jitter, or what a 429/503's Retry-After asks. A NOTIFY
(wakeups.py) starts a pass as soon as deliveries are queued; the interval is the fallback.
"""

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING

import asyncpg
from pydantic import Field
from pydantic_core import to_json
from yarl import URL

from job_contract.callbacks import CallbackMessage, DeliveryState, webhook_id
from job_contract.statuses import EventKind
from jobdeck_db.maintenance import DatabaseMaintenance
from jobdeck_runtime.maintenance import MaintenanceSettings
from worker_service import metrics
from worker_service.callbacks.addresses import any_address, is_public
from worker_service.callbacks.sender import Sender, TryResult, Verdict
from worker_service.callbacks.signing import WebhookSigner
from worker_service.callbacks.store import CallbackStore, DueDelivery, TryRecord
from worker_service.callbacks.wakeups import DueListener

if TYPE_CHECKING:  # settings.py imports this module for DelivererSettings
    from worker_service.settings import Settings

logger = logging.getLogger("worker_service.callbacks")

# The back-off between two tries never grows past this.
MAX_BACKOFF_SECONDS = 6 * 3600.0
# A pass's tries end within CALLBACK_TIMEOUT_SECONDS; its deliveries are leased this much
# longer, for recording them. Past the lease a try not recorded counts as lost (a crash).
LEASE_MARGIN_SECONDS = 10.0


class DelivererSettings(MaintenanceSettings):
    """CALLBACK_* settings take their defaults from here."""

    # Queued deliveries wake the deliverer at once (NOTIFY); this is how often it looks
    # anyway, for retries that fell due and while the LISTEN connection is lost.
    interval_seconds: float = Field(default=0.5, gt=0)
    # Deliveries tried at once: one pass's batch (per deliverer).
    concurrency: int = Field(default=100, ge=1, le=1000)
    timeout_seconds: float = Field(default=10, gt=0, le=300)
    retry_base_seconds: float = Field(default=5, ge=0)
    max_attempts: int = Field(default=8, ge=1, le=100)
    allow_private: bool = False


class CallbackDeliverer(DatabaseMaintenance[DelivererSettings, int]):
    def __init__(
        self,
        store: CallbackStore,
        signer: WebhookSigner,
        settings: DelivererSettings,
        listener: DueListener | None = None,
    ) -> None:
        super().__init__(settings)
        self._store = store
        self._signer = signer
        self._listener = listener
        allowed = any_address if settings.allow_private else is_public
        self._sender = Sender(settings.timeout_seconds, allowed)

    async def close(self) -> None:
        await self._sender.close()
        if self._listener is not None:
            await self._listener.close()

    async def pause(self, seconds: float) -> None:
        if self._listener is None:
            await super().pause(seconds)
        else:
            await self._listener.pause(seconds)

    async def run_once(self) -> int:
        """Try up to one batch of due deliveries; return how many were tried."""
        if self._listener is not None:
            self._listener.taken()
        lease = self.settings.timeout_seconds + LEASE_MARGIN_SECONDS
        due = await self._store.claim(self.settings.concurrency, lease)
        if not due:
            return 0
        tries = await asyncio.gather(*(self._try(delivery) for delivery in due))
        await self._store.record(tries)
        for record in tries:
            metrics.CALLBACK_TRIES.labels(record.state.value).inc()
        return len(tries)

    def more_waiting(self, report: int) -> bool:
        return report >= self.settings.concurrency

    async def _try(self, delivery: DueDelivery) -> TryRecord:
        body = delivery.body or _message_body(delivery)
        message_id = webhook_id(delivery.id)
        headers = self._signer.headers(message_id, int(time.time()), body)
        result = await self._sender.send(delivery.url, headers, body.encode())
        return self._record(delivery, body, result)

    def _record(self, delivery: DueDelivery, body: str, result: TryResult) -> TryRecord:
        tries = delivery.tries + 1
        state, retry_in, ended_as, detail = DeliveryState.PENDING, None, None, None
        if result.verdict is Verdict.DELIVERED:
            state, ended_as = DeliveryState.DELIVERED, EventKind.CALLBACK_DELIVERED
            detail = f"{result.summary()} (try {tries})"
        elif result.verdict is Verdict.GIVE_UP or tries >= self.settings.max_attempts:
            state, ended_as = DeliveryState.FAILED, EventKind.CALLBACK_FAILED
            detail = f"gave up after {tries} tries: {result.summary()}"
        else:
            retry_in = self._backoff(tries, result.retry_after)
        # A line per delivered callback only at DEBUG: at thousands a second they are noise
        # and CPU (the metrics count them); one that failed for good is a warning.
        level = logging.WARNING if state is DeliveryState.FAILED else logging.DEBUG
        if ended_as is not None and logger.isEnabledFor(level):
            # The host only: a callback URL's path or query may carry the receiver's token.
            host = URL(delivery.url, encoded=True).host
            logger.log(
                level,
                "callback to %s %s (job %s): %s",
                host,
                state.value,
                delivery.job["id"],
                detail,
            )
        return TryRecord(
            delivery_id=delivery.id,
            state=state,
            retry_in=retry_in,
            body=body,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            error=result.error,
            excerpt=result.excerpt,
            ended_as=ended_as,
            detail=detail,
        )

    def _backoff(self, tries: int, retry_after: float | None) -> float:
        """Seconds until the next try: base × 2^(tries−1), ±50 % jitter (receivers that
        recover are not hit by every delivery at once), or the receiver's Retry-After."""
        if retry_after is not None:
            return retry_after
        delay: float = self.settings.retry_base_seconds * 2.0 ** (tries - 1)
        return min(delay * random.uniform(0.5, 1.5), MAX_BACKOFF_SECONDS)


def new_deliverer(settings: "Settings", pool: asyncpg.Pool, database_url: str) -> CallbackDeliverer:
    """The deliverer as configured, woken by NOTIFY (in the worker service or on its own)."""
    signer = settings.signer()
    if not signer.signs:
        logger.warning("WEBHOOK_SECRET is not set: callbacks are sent unsigned")
    return CallbackDeliverer(
        CallbackStore(pool), signer, settings.deliverer(), DueListener(database_url)
    )


def _message_body(delivery: DueDelivery) -> str:
    # Built from database values that already fit the model: constructing it unvalidated saves
    # a quarter of the CPU of making a body; the JSON is the same.
    message = CallbackMessage.model_construct(
        type=delivery.event, timestamp=delivery.queued_at, data=delivery.job
    )
    return to_json(message).decode()
