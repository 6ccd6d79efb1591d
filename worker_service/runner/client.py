"""The runner's HTTP client of the worker service; the only code here that speaks HTTP to it."""

from datetime import date
from typing import Any
from uuid import UUID

import httpx

from job_contract.worker_api import MAX_WAIT_SECONDS


class WorkerServiceUnavailable(Exception):
    """The worker service could not be reached, or answered 503 (its database is away)."""


class WorkerServiceClient:
    def __init__(self, base_url: str, worker_id: str) -> None:
        self.worker_id = worker_id
        self._http = httpx.AsyncClient(
            base_url=base_url,
            # A long-poll may be held for MAX_WAIT_SECONDS; leave room for the answer.
            timeout=httpx.Timeout(10, read=MAX_WAIT_SECONDS + 10),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def claim(self, limit: int, wait: float, types: list[str] | None) -> list[dict[str, Any]]:
        """Up to `limit` jobs, holding up to `wait` seconds for one to become claimable."""
        params: dict[str, str | int | float] = {
            "worker_id": self.worker_id, "limit": limit, "wait": wait
        }  # fmt: skip
        if types:
            params["types"] = ",".join(types)
        response = await self._send("POST", "/process", params=params)
        jobs: list[dict[str, Any]] = response.json()["jobs"]
        return jobs

    async def complete(self, job_id: UUID, attempt: int, result: dict[str, Any]) -> bool:
        """True when recorded; False when the job was no longer ours (409)."""
        body = {"attempt": attempt, "result": result, "worker_id": self.worker_id}
        response = await self._send("POST", f"/complete/{job_id}", json=body, allow=(409,))
        return response.status_code == 200

    async def complete_many(self, outcomes: list[tuple[UUID, int, dict[str, Any]]]) -> set[UUID]:
        """Acknowledge a batch in one round trip; returns the ids that were recorded."""
        body = {
            "worker_id": self.worker_id,
            "jobs": [
                {"id": str(job_id), "attempt": attempt, "result": result}
                for job_id, attempt, result in outcomes
            ],
        }
        response = await self._send("POST", "/complete", json=body)
        return {UUID(job_id) for job_id in response.json()["completed"]}

    async def fail(self, job_id: UUID, attempt: int, error: str, retryable: bool) -> bool:
        body = {
            "attempt": attempt, "error": error[:10_000], "retryable": retryable,
            "worker_id": self.worker_id,
        }  # fmt: skip
        response = await self._send("POST", f"/fail/{job_id}", json=body, allow=(409,))
        return response.status_code == 200

    async def heartbeat(self, job_ids: list[UUID], processed: int, stopping: bool) -> set[UUID]:
        """Renew our leases; returns the jobs we no longer hold."""
        body = {
            "jobs": [str(job_id) for job_id in job_ids],
            "processed": processed,
            "stopping": stopping,
        }
        response = await self._send("POST", f"/workers/{self.worker_id}/heartbeat", json=body)
        return {UUID(job_id) for job_id in response.json()["lost"]}

    async def upload_artifact(
        self, job_id: UUID, attempt: int, content: bytes, content_type: str, filename: str
    ) -> None:
        await self._send(
            "PUT",
            f"/artifacts/{job_id}",
            params={"filename": filename, "attempt": attempt},
            content=content,
            headers={"content-type": content_type},
        )

    async def report_rows(self, report_type: str, start: date, end: date) -> list[dict[str, Any]]:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        response = await self._send("GET", f"/report-data/{report_type}", params=params)
        rows: list[dict[str, Any]] = response.json()["rows"]
        return rows

    async def _send(
        self, method: str, path: str, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise WorkerServiceUnavailable(f"{method} {path}: {error!r}") from error
        if response.status_code == 503:
            raise WorkerServiceUnavailable(f"{method} {path}: 503 {response.text}")
        if response.status_code not in allow:
            response.raise_for_status()
        return response
