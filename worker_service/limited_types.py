"""Which job types are paused or limited, as this service last read them.

A claim takes jobs of the types with no control set in one statement, then tries the limited
types it covers one by one, each under its type's lock (queries.sql). While no type is
paused or limited, that statement walks the claim index across all types; once some are, it
reads only the other types, type by type, so a paused type's backlog is never walked.
Which types are which is read at start and again whenever the job_types trigger sends
NOTIFY jobdeck_job_types. Every claim statement re-reads the controls itself, so a stale
list can only delay a claim until the refresh, never break a limit or a pause.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence

from worker_service.store import WorkerStore

logger = logging.getLogger("worker_service.limited_types")


class LimitedTypes:
    def __init__(self, store: WorkerStore, on_refreshed: Callable[[], None]) -> None:
        self._store = store
        self._on_refreshed = on_refreshed  # claims that found nothing look again
        self._all: tuple[str, ...] = ()
        self._limited: tuple[str, ...] = ()  # unpaused, with a limit
        self._held: frozenset[str] = frozenset()  # paused or limited
        self._turn = 0
        self._refreshing: asyncio.Task[None] | None = None
        self._stale_again = False

    async def refresh(self) -> None:
        states = await self._store.type_controls()
        self._all = tuple(state.name for state in states)
        self._limited = tuple(state.name for state in states if state.limited and not state.paused)
        self._held = frozenset(state.name for state in states if state.paused or state.limited)
        self._on_refreshed()

    def free(self, types: Sequence[str] | None) -> list[str] | None:
        """The types among `types` (any when None) with no control set, or None when no type
        is paused or limited at all (then a claim need not name them)."""
        if not self._held:
            return None
        return [name for name in types or self._all if name not in self._held]

    def covered(self, types: Sequence[str] | None) -> list[str]:
        """The limited types a claim for `types` (any when None) may take jobs of, starting
        from a different one each time so that no limited type is always served last."""
        names = [name for name in self._limited if types is None or name in types]
        if len(names) < 2:
            return names
        self._turn = (self._turn + 1) % len(names)
        return names[self._turn :] + names[: self._turn]

    def changed(self) -> None:
        """The controls changed (or notifications were lost): read them again, once for any
        number of changes that arrive meanwhile."""
        if self._refreshing is not None:
            self._stale_again = True
            return
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh_until_current())

    async def stop(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()

    async def _refresh_until_current(self) -> None:
        try:
            while True:
                self._stale_again = False
                await self.refresh()
                if not self._stale_again:
                    return
        except Exception as error:  # the database away: the listener's reconnect asks again
            logger.warning("could not read the job types' controls: %s", error)
        finally:
            self._refreshing = None
