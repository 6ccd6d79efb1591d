"""The runner's HTTP client of the worker service; the only code here that speaks HTTP to it.

aiohttp rather than httpx, chosen by measurement (bench/README.md): a no-op runner spends most
of its CPU in its HTTP client, and aiohttp's per-request cost here is about a third of httpx's.
"""

import json
from datetime import date
from typing import Any
from uuid import UUID

import aiohttp

from job_contract.bounds import MAX_WAIT_SECONDS


class WorkerServiceUnavailable(Exception):
    """The worker service could not be reached, answered 503 (its database is away), or
    answered something this runner does not expect; either way, try again later."""


class WorkerServiceClient:
    def __init__(self, base_url: str, worker_id: str) -> None:
        self.worker_id = worker_id
        self._base_url = base_url.rstrip("/")
        # Must be built inside the running event loop, as aiohttp requires.
        self._http = aiohttp.ClientSession(
            # A long-poll may be held for MAX_WAIT_SECONDS; leave room for the answer.
            timeout=aiohttp.ClientTimeout(connect=10, sock_read=MAX_WAIT_SECONDS + 10),
            connector=aiohttp.TCPConnector(limit=200),
        )

    async def close(self) -> None:
        await self._http.close()

    async def claim(self, limit: int, wait: float, types: list[str] | None) -> list[dict[str, Any]]:
        """Up to `limit` jobs, holding up to `wait` seconds for one to become claimable."""
        params: dict[str, str | int | float] = {
            "worker_id": self.worker_id, "limit": limit, "wait": wait
        }  # fmt: skip
        if types:
            params["types"] = ",".join(types)
        _status, body = await self._send("POST", "/process", params=params, allow=(204,))
        jobs: list[dict[str, Any]] = body["jobs"] if body else []
        return jobs

    async def complete_many(self, outcomes: list[tuple[UUID, int, dict[str, Any]]]) -> set[UUID]:
        """Acknowledge a batch in one round trip; returns the ids that were recorded."""
        body = {
            "worker_id": self.worker_id,
            "jobs": [
                {"id": str(job_id), "attempt": attempt, "result": result}
                for job_id, attempt, result in outcomes
            ],
        }
        _status, answer = await self._send("POST", "/complete", json=body)
        return {UUID(job_id) for job_id in answer["completed"]}

    async def fail(self, job_id: UUID, attempt: int, error: str, retryable: bool) -> bool:
        body = {
            "attempt": attempt, "error": error[:10_000], "retryable": retryable,
            "worker_id": self.worker_id,
        }  # fmt: skip
        status, _ = await self._send("POST", f"/fail/{job_id}", json=body, allow=(409,))
        return status == 200

    async def heartbeat(self, job_ids: list[UUID], processed: int, stopping: bool) -> set[UUID]:
        """Renew our leases; returns the jobs we no longer hold."""
        body = {
            "jobs": [str(job_id) for job_id in job_ids],
            "processed": processed,
            "stopping": stopping,
        }
        _status, answer = await self._send(
            "POST", f"/workers/{self.worker_id}/heartbeat", json=body
        )
        return {UUID(job_id) for job_id in answer["lost"]}

    async def upload_artifact(
        self, job_id: UUID, attempt: int, content: bytes, content_type: str, filename: str
    ) -> None:
        await self._send(
            "PUT",
            f"/artifacts/{job_id}",
            params={"filename": filename, "attempt": attempt},
            data=content,
            headers={"content-type": content_type},
        )

    async def report_rows(self, report_type: str, start: date, end: date) -> list[dict[str, Any]]:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        _status, answer = await self._send("GET", f"/report-data/{report_type}", params=params)
        rows: list[dict[str, Any]] = answer["rows"]
        return rows

    async def _send(
        self, method: str, path: str, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> tuple[int, Any]:
        """(status, decoded JSON body or None) for a 2xx or an allowed status."""
        try:
            async with self._http.request(method, self._base_url + path, **kwargs) as answer:
                text = await answer.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise WorkerServiceUnavailable(f"{method} {path}: {error!r}") from error
        if not 200 <= answer.status < 300 and answer.status not in allow:
            raise WorkerServiceUnavailable(f"{method} {path}: {answer.status} {text[:500]}")
        return answer.status, json.loads(text) if text else None
