"""Completions from every slot of a runner, sent together.

One `POST /complete` goes out as soon as the previous one is answered, carrying every job
that finished meanwhile (at most the SPEC's 100). An idle runner therefore acknowledges a job
at once, and a busy one sends one request for many jobs instead of one each: with 16 slots
claiming single jobs that halves the requests, and the database commits once per batch.
"""

import asyncio
from typing import Any
from uuid import UUID

from worker_service.runner.client import WorkerServiceClient, WorkerServiceUnavailable

MAX_JOBS_PER_REQUEST = 100  # POST /complete's limit in the SPEC

Completion = tuple[UUID, int, dict[str, Any]]  # job id, attempt, result
# Some slot's completions, and where their answer goes.
Queued = tuple[list[Completion], asyncio.Future[set[UUID]]]


class Acknowledger:
    def __init__(self, client: WorkerServiceClient) -> None:
        self._client = client
        self._queue: list[Queued] = []
        self._queued = asyncio.Event()

    async def complete(self, completions: list[Completion]) -> set[UUID]:
        """The ids among `completions` that were recorded (the others were no longer ours).
        Raises WorkerServiceUnavailable when the request carrying them failed."""
        future: asyncio.Future[set[UUID]] = asyncio.get_running_loop().create_future()
        self._queue.append((completions, future))
        self._queued.set()
        return await future

    async def run(self) -> None:
        """Send what is queued, one request at a time, until cancelled."""
        while True:
            await self._queued.wait()
            self._queued.clear()
            while self._queue:
                await self._send(self._take_batch())

    def _take_batch(self) -> list[Queued]:
        batch: list[Queued] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0][0]) <= MAX_JOBS_PER_REQUEST):
            completions, future = self._queue.pop(0)
            batch.append((completions, future))
            size += len(completions)
        return batch

    async def _send(self, batch: list[Queued]) -> None:
        try:
            recorded = await self._client.complete_many(
                [completion for completions, _ in batch for completion in completions]
            )
        except WorkerServiceUnavailable as error:
            for _, future in batch:
                if not future.done():  # its slot may have been cancelled meanwhile
                    future.set_exception(error)
            return
        for completions, future in batch:
            if not future.done():
                future.set_result({job_id for job_id, _, _ in completions} & recorded)
