"""How many of each type's recent jobs completed and failed, for the /types page.

GET /stats counts by type over all time and its throughput is not split by type, so this
asks GET /jobs for the total of jobs *created* in the last hour that now are completed (or
failed), per type: answered from an index, bounded and flagged as an estimate past a
bound by the API. The page says what the numbers count.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from frontend.client import ProducerApi
from job_contract import JobStatus

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Count:
    value: int
    is_estimate: bool


@dataclass(frozen=True)
class RecentOutcomes:
    completed: Count
    failed: Count


async def _count(api: ProducerApi, job_type: str, status: JobStatus, since: datetime) -> Count:
    page = await api.list_jobs(
        [
            ("type", job_type),
            ("status", status.value),
            ("created_after", since.isoformat()),
            ("limit", 1),
        ]
    )
    return Count(page.total, page.total_is_estimate)


async def recent_outcomes(api: ProducerApi, names: Sequence[str]) -> dict[str, RecentOutcomes]:
    since = datetime.now(UTC) - WINDOW
    counts = await asyncio.gather(
        *(
            _count(api, name, status, since)
            for name in names
            for status in (JobStatus.COMPLETED, JobStatus.FAILED)
        )
    )
    return {
        name: RecentOutcomes(completed=counts[2 * i], failed=counts[2 * i + 1])
        for i, name in enumerate(names)
    }
