"""Claims by one runner's slots, made together.

A runner with N slots sends N `POST /process` at once whenever jobs arrive. Each would be a
statement and a commit of its own; instead, claims for the same runner and job types that
arrive while one of theirs is running wait for it to finish and then share one statement
(`LIMIT` their combined limits), each taking its share of the jobs in claim order. An idle
service therefore claims at once, and a busy one makes one statement per group, not per slot.

A group first claims from the types with no control set (one statement), then, while it has
room left, from each limited type it covers (a transaction per type, under that type's lock):
a paused or full type never keeps a group from the other types' jobs.
"""

import asyncio
from collections.abc import Sequence

from job_contract.bounds import MAX_CLAIM_BATCH
from worker_service.limited_types import LimitedTypes
from worker_service.records import Claim
from worker_service.store import WorkerStore

# Same runner, same job types: the jobs one statement claims can go to any of them.
_Key = tuple[str, tuple[str, ...] | None]
# A claim waiting for its share: how many jobs it wants, and where they go.
_Waiting = tuple[int, asyncio.Future[list[Claim]]]


class ClaimBatcher:
    def __init__(self, store: WorkerStore, limited: LimitedTypes) -> None:
        self._store = store
        self._limited = limited
        self._waiting: dict[_Key, list[_Waiting]] = {}
        self._running: dict[_Key, asyncio.Task[None]] = {}

    async def claim(self, worker_id: str, limit: int, types: Sequence[str] | None) -> list[Claim]:
        """Up to `limit` jobs for `worker_id`, leased and logged as WorkerStore.claim does."""
        key = (worker_id, tuple(types) if types else None)
        share: asyncio.Future[list[Claim]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append((limit, share))
        if key not in self._running:
            self._running[key] = asyncio.create_task(self._claim_for(key))
        return await share

    async def _claim_for(self, key: _Key) -> None:
        """Serve `key`'s waiting claims, one statement at a time, until none is left."""
        worker_id, types = key
        try:
            while group := self._take_group(key):
                try:
                    claims = await self._claim(worker_id, sum(limit for limit, _ in group), types)
                except Exception as error:  # each request answers it (503 when the DB is away)
                    for _, share in group:
                        if not share.done():
                            share.set_exception(error)
                    continue
                for limit, share in group:
                    mine, claims = claims[:limit], claims[limit:]
                    # A request cancelled meanwhile (the service stopping) leaves its jobs
                    # leased to this runner; the rescuer returns them when the lease ends.
                    if not share.done():
                        share.set_result(mine)
        finally:
            del self._running[key]

    async def _claim(
        self, worker_id: str, wanted: int, types: tuple[str, ...] | None
    ) -> list[Claim]:
        free = self._limited.free(types)
        if free is None:
            claims = await self._store.claim(worker_id, wanted, types)
        else:
            claims = await self._store.claim_of_types(worker_id, wanted, free) if free else []
        for job_type in self._limited.covered(types):
            if len(claims) >= wanted:
                break
            claims += await self._store.claim_limited(worker_id, wanted - len(claims), job_type)
        return claims

    def _take_group(self, key: _Key) -> list[_Waiting]:
        """The oldest waiting claims whose limits add up to at most MAX_CLAIM_BATCH."""
        waiting = self._waiting.get(key, [])
        group: list[_Waiting] = []
        total = 0
        while waiting and (not group or total + waiting[0][0] <= MAX_CLAIM_BATCH):
            limit, share = waiting.pop(0)
            group.append((limit, share))
            total += limit
        if not waiting:
            self._waiting.pop(key, None)
        return group
