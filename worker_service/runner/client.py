"""The runner's HTTP client of the worker service; the only code here that speaks HTTP to it.

Bodies are job_contract.worker_api's models and answers are parsed into them, so the runner
and the service cannot drift apart. Outgoing bodies are built by the runner itself and are
serialized without validation; answers are validated, which pydantic does faster than
json.loads would decode them.

aiohttp rather than httpx, chosen by measurement (bench/README.md): a no-op runner spends most
of its CPU in its HTTP client, and aiohttp's per-request cost here is about a third of httpx's.
"""

import json
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import aiohttp
from pydantic import BaseModel, ValidationError
from yarl import URL

from job_contract.bounds import MAX_ERROR_CHARS, MAX_WAIT_SECONDS
from job_contract.payloads import ReportType
from job_contract.worker_api import (
    ClaimedJob,
    ClaimedJobs,
    CompleteBatchAnswer,
    CompleteBatchBody,
    CompletedJob,
    FailBody,
    HeartbeatAnswer,
    HeartbeatBody,
    ProcessOptions,
)
from jobdeck_runtime import request_ids

_JSON = {"Content-Type": "application/json"}
# Reports and heartbeats are short requests: one that hangs (a half-open connection, say) is
# given up after this and retried, instead of holding the runner for a long-poll's timeout.
_SHORT_REQUEST = aiohttp.ClientTimeout(total=10)
Answer = TypeVar("Answer", bound=BaseModel)


class WorkerServiceUnavailable(Exception):
    """The worker service could not be reached, answered 503 (its database is away), or
    answered something this runner does not expect; either way, try again later."""


class TokenRefused(WorkerServiceUnavailable):
    """The worker service refused JOBDECK_TOKEN: unknown, expired or revoked (401), or not a
    runner token (403). Trying again cannot help."""

    def __init__(self, status: int, detail: str) -> None:
        why = "unknown, expired or revoked" if status == 401 else "not a runner token"
        super().__init__(f"the worker service refused JOBDECK_TOKEN ({status}, {why}): {detail}")


class WorkerServiceClient:
    def __init__(self, base_url: str, worker_id: str, token: str) -> None:
        self.worker_id = worker_id
        self._base_url = base_url.rstrip("/")
        # Must be built inside the running event loop, as aiohttp requires.
        self._http = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            # A long-poll may be held for MAX_WAIT_SECONDS; leave room for the answer.
            timeout=aiohttp.ClientTimeout(connect=10, sock_read=MAX_WAIT_SECONDS + 10),
            connector=aiohttp.TCPConnector(limit=200),
        )
        # Claim URLs, built once for each set of options a runner claims with.
        self._claim_urls: dict[tuple[str | None, str | None, float, int | None], URL] = {}

    async def close(self) -> None:
        await self._http.close()

    async def claim(self, options: ProcessOptions) -> list[ClaimedJob]:
        """Up to `options.limit` jobs, holding up to `options.wait` seconds for one to become
        claimable."""
        key = (options.worker_id, options.types, options.wait, options.limit)
        url = self._claim_urls.get(key)
        if url is None:
            params = options.model_dump(exclude_none=True)
            url = self._claim_urls[key] = URL(self._base_url + "/process").with_query(params)
        _status, text = await self._send("POST", url, allow=(204,))
        return _parse(ClaimedJobs, text).jobs if text else []

    async def complete_many(self, jobs: list[CompletedJob]) -> CompleteBatchAnswer:
        """Acknowledge a batch in one round trip: which were recorded, and which refused."""
        body = CompleteBatchBody.model_construct(jobs=jobs, worker_id=self.worker_id)
        _status, text = await self._post("/complete", body)
        return _parse(CompleteBatchAnswer, text)

    async def fail(self, job_id: UUID, attempt: int, error: str, retryable: bool) -> bool:
        """Report a failed attempt; False when the service no longer counts it as ours."""
        body = FailBody.model_construct(
            error=reportable_error(error),
            retryable=retryable,
            attempt=attempt,
            worker_id=self.worker_id,
        )
        status, _text = await self._post(f"/fail/{job_id}", body, allow=(409,))
        return status == 200

    async def heartbeat(self, job_ids: list[UUID], processed: int, stopping: bool) -> set[UUID]:
        """Renew our leases; returns the jobs we no longer hold."""
        body = HeartbeatBody.model_construct(jobs=job_ids, processed=processed, stopping=stopping)
        _status, text = await self._post(f"/workers/{self.worker_id}/heartbeat", body)
        return set(_parse(HeartbeatAnswer, text).lost)

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

    async def report_rows(
        self, report_type: ReportType, start: date, end: date
    ) -> list[dict[str, Any]]:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        _status, text = await self._send("GET", f"/report-data/{report_type}", params=params)
        rows: list[dict[str, Any]] = json.loads(text)["rows"]
        return rows

    async def _post(
        self, path: str, body: BaseModel, allow: tuple[int, ...] = ()
    ) -> tuple[int, bytes]:
        return await self._send(
            "POST",
            path,
            allow=allow,
            data=body.model_dump_json().encode(),
            headers=_JSON,
            timeout=_SHORT_REQUEST,
        )

    async def _send(
        self, method: str, path: str | URL, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> tuple[int, bytes]:
        """(status, body) for a 2xx or an allowed status; `path` under the base URL, or a
        whole URL."""
        # The job's id and attempt when the call is about a job (loop.about_job), else new.
        headers = {**kwargs.pop("headers", {}), request_ids.HEADER: request_ids.outgoing()}
        url = path if isinstance(path, URL) else self._base_url + path
        try:
            async with self._http.request(method, url, headers=headers, **kwargs) as answer:
                # Bytes: the answer's models read JSON bytes as they are, without decoding.
                body = await answer.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise WorkerServiceUnavailable(f"{method} {_path(path)}: {error!r}") from error
        if answer.status in (401, 403):
            raise TokenRefused(answer.status, _excerpt(body))
        if not 200 <= answer.status < 300 and answer.status not in allow:
            raise WorkerServiceUnavailable(
                f"{method} {_path(path)}: {answer.status} {_excerpt(body)}"
            )
        return answer.status, body


def _path(path: str | URL) -> str:
    return path.path if isinstance(path, URL) else path


def _excerpt(body: bytes) -> str:
    return body[:500].decode("utf-8", "replace")


def _parse(model: type[Answer], text: bytes) -> Answer:
    """The answer as `model`; one this runner cannot read is the service's fault, not ours."""
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        raise WorkerServiceUnavailable(f"unexpected answer: {error}") from error


def reportable_error(error: str) -> str:
    """An error text FailBody accepts whatever a handler raised: never empty, no NUL (which
    PostgreSQL cannot store), cut to the contract's length. Refused, it would be lost."""
    text = error.replace("\x00", "\\x00").strip() or "failed without a message"
    return text[:MAX_ERROR_CHARS]
