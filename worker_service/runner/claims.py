"""Claims for every idle slot of a runner, sent together.

As acks.py does for completions: one `POST /process` goes out for all the slots waiting for
work at that moment (its limit their batch sizes added up, at most MAX_CLAIM_BATCH), and the
jobs it brings are shared out in claim order. An idle runner therefore holds one long-poll,
not one per slot, and a busy one with N one-job slots makes one request for N jobs instead of
N requests: each request costs the runner and the service far more CPU than a job in it.
A slot still runs what it was given, at most its batch size, as before.
"""

import asyncio
import contextlib
from collections import deque
from typing import NamedTuple

from job_contract.bounds import MAX_CLAIM_BATCH
from job_contract.worker_api import ClaimedJob, ProcessOptions
from worker_service.runner.client import WorkerServiceClient, WorkerServiceUnavailable


class _Waiting(NamedTuple):
    """A slot waiting for up to `wants` jobs, and the future it awaits them on."""

    wants: int
    jobs: asyncio.Future[list[ClaimedJob]]


class SlotClaims:
    def __init__(
        self, client: WorkerServiceClient, options: ProcessOptions, stopping: asyncio.Event
    ) -> None:
        """`options`: one slot's claim (its `limit` is the slot's batch size)."""
        self._client = client
        self._options = options
        self._per_slot = options.limit or 1
        self._stopping = stopping
        self._waiting: deque[_Waiting] = deque()
        self._queued = asyncio.Event()
        # The options of a claim for n jobs, built (and validated) once for each n.
        self._options_for: dict[int, ProcessOptions] = {}

    async def take(self) -> list[ClaimedJob]:
        """Jobs for one slot, long-polling; [] when the runner starts stopping first. Raises
        WorkerServiceUnavailable (or TokenRefused) when the claim carrying it failed."""
        if self._stopping.is_set():
            return []
        jobs: asyncio.Future[list[ClaimedJob]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(self._per_slot, jobs))
        self._queued.set()
        return await jobs

    async def run(self) -> None:
        """Claim for what is waiting, one request at a time, until cancelled."""
        try:
            while True:
                await self._queued.wait()
                self._queued.clear()
                while self._waiting:
                    await self._claim_for(self._take_group())
        finally:
            for waiting in self._waiting:  # cancelled: no claim will answer them now
                if not waiting.jobs.done():
                    waiting.jobs.set_result([])

    def _take_group(self) -> list[_Waiting]:
        """The oldest waiting slots whose wants fit in one claim: always at least one."""
        group: list[_Waiting] = []
        wanted = 0
        while self._waiting and (not group or wanted + self._waiting[0].wants <= MAX_CLAIM_BATCH):
            waiting = self._waiting.popleft()
            group.append(waiting)
            wanted += waiting.wants
        return group

    async def _claim_for(self, group: list[_Waiting]) -> None:
        try:
            jobs = await self._claim(sum(waiting.wants for waiting in group))
        except BaseException as error:
            # Each slot hears what its claim would have raised (WorkerServiceUnavailable,
            # TokenRefused); cancelled, the runner is stopping and the slots claim no more.
            for waiting in group:
                if not waiting.jobs.done():
                    if isinstance(error, Exception):
                        waiting.jobs.set_exception(error)
                    else:
                        waiting.jobs.set_result([])
            if not isinstance(error, Exception):
                raise
            return
        for waiting in group:
            mine, jobs = jobs[: waiting.wants], jobs[waiting.wants :]
            # A slot is only cancelled once the grace period is over: any job it leaves
            # here is rescued when its lease runs out.
            if not waiting.jobs.done():
                waiting.jobs.set_result(mine)

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        """Long-poll for up to `limit` jobs, giving up at once when the runner starts
        stopping."""
        if self._stopping.is_set():
            return []
        options = self._options_for.get(limit)
        if options is None:
            options = self._options.model_copy(update={"limit": limit})
            self._options_for[limit] = options
        claim = asyncio.create_task(self._client.claim(options))
        stopping = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({claim, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if claim.done():
            return claim.result()
        claim.cancel()  # the service sees the disconnect and claims nothing for us
        with contextlib.suppress(asyncio.CancelledError, WorkerServiceUnavailable):
            return await claim  # it may have answered just before we cancelled
        return []
