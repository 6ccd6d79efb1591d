"""Completions from every slot of a runner, sent together.

One `POST /complete` goes out as soon as the previous one is answered, carrying every job
that finished meanwhile (at most MAX_COMPLETE_BATCH). An idle runner therefore acknowledges a
job at once, and a busy one sends one request for many jobs instead of one each: with 16 slots
claiming single jobs that halves the requests, and the database commits once per batch.
"""

import asyncio
from collections import deque
from dataclasses import dataclass
from uuid import UUID

from job_contract.bounds import MAX_COMPLETE_BATCH
from job_contract.worker_api import CompletedJob
from worker_service.runner.client import WorkerServiceClient, WorkerServiceUnavailable


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What the service made of one slot's completions: the ids it recorded (the others were
    no longer ours), and those whose result it refused to store, with why."""

    recorded: set[UUID]
    rejected: dict[UUID, str]


@dataclass(frozen=True, slots=True)
class AwaitingAck:
    """One slot's completed jobs, and the future that slot awaits the service's answer on."""

    jobs: list[CompletedJob]
    recorded: asyncio.Future[Acknowledged]


class Acknowledger:
    def __init__(self, client: WorkerServiceClient) -> None:
        self._client = client
        self._queue: deque[AwaitingAck] = deque()
        self._queued = asyncio.Event()

    async def complete(self, jobs: list[CompletedJob]) -> Acknowledged:
        """What the service made of `jobs`. Raises WorkerServiceUnavailable when the request
        carrying them failed."""
        recorded: asyncio.Future[Acknowledged] = asyncio.get_running_loop().create_future()
        self._queue.append(AwaitingAck(jobs, recorded))
        self._queued.set()
        return await recorded

    async def run(self) -> None:
        """Send what is queued, one request at a time, until cancelled."""
        while True:
            await self._queued.wait()
            self._queued.clear()
            while self._queue:
                await self._send(self._take_batch())

    def _take_batch(self) -> list[AwaitingAck]:
        """The oldest waiting slots whose jobs fit in one request: always at least one, whose
        jobs fit alone since a slot claims at most MAX_CLAIM_BATCH <= MAX_COMPLETE_BATCH."""
        batch: list[AwaitingAck] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0].jobs) <= MAX_COMPLETE_BATCH):
            waiting = self._queue.popleft()
            batch.append(waiting)
            size += len(waiting.jobs)
        return batch

    async def _send(self, batch: list[AwaitingAck]) -> None:
        try:
            answer = await self._client.complete_many(
                [job for waiting in batch for job in waiting.jobs]
            )
        except WorkerServiceUnavailable as error:
            for waiting in batch:
                if not waiting.recorded.done():  # its slot may have been cancelled meanwhile
                    waiting.recorded.set_exception(error)
            return
        recorded = set(answer.completed)
        rejected = {job.id: job.error for job in answer.rejected}
        for waiting in batch:
            if not waiting.recorded.done():
                ids = {job.id for job in waiting.jobs}
                waiting.recorded.set_result(
                    Acknowledged(
                        ids & recorded, {id_: rejected[id_] for id_ in ids & rejected.keys()}
                    )
                )
