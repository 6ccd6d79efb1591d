"""A claimed job's lease as the runner sees it, on its own monotonic clock.

The service says how long a lease lasts (`lease_seconds` in the claim); the runner counts it
from when it heard the claim, and again from when it sent each heartbeat that renewed it. Both
are on the runner's monotonic clock, so a runner whose wall clock is wrong still stops in time:
when no renewal was heard for a whole lease the job may be someone else's already.
"""

import math
from dataclasses import dataclass


@dataclass(slots=True)
class LocalLease:
    seconds: float | None  # None: the service did not say, and the lease never runs out here
    deadline: float
    lost: bool = False  # the service said another runner, or the rescuer, has the job

    @classmethod
    def heard_at(cls, seconds: float | None, now: float) -> "LocalLease":
        """A lease claimed in an answer that arrived at `now`: the claim was committed just
        before, so this deadline is at most a round trip's half late."""
        return cls(seconds, math.inf if seconds is None else now + seconds)

    def renew(self, sent_at: float) -> None:
        """A heartbeat sent at `sent_at` renewed the lease: it lasts at least that long again
        (the service renewed it after the heartbeat left)."""
        if self.seconds is not None:
            self.deadline = max(self.deadline, sent_at + self.seconds)

    def gone(self, now: float) -> bool:
        """True when the job may no longer be this runner's."""
        return self.lost or now >= self.deadline
