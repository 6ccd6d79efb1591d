"""The only module that speaks HTTP to other services: the producer API and the worker service.

Failures become domain errors (the routes never see httpx); main.py maps each to a page.
"""

import contextlib
import copy
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx
from pydantic import ValidationError

from frontend.models import Artifact, Job, JobList
from job_contract import JobAction, JobPublic
from job_contract.analytics import Analytics
from job_contract.bounds import StatsWindowName
from job_contract.callbacks import AlertList, AlertPublic, DeliveryList, DeliveryPublic
from job_contract.job_types import JobTypeInfo, JobTypeList
from job_contract.producer_api import BulkCount, BulkResult, Me, Stats
from job_contract.retention import CleanupOverview, CleanupResult
from job_contract.schedules import ScheduleList, SchedulePublic
from job_contract.worker_api import RunnerPublic

logger = logging.getLogger("frontend")


class ApiUnavailable(Exception):
    """The producer API did not answer, or answered that it cannot work right now."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"the producer API at {url} {reason}")
        self.url = url
        self.reason = reason


class ApiFailed(Exception):
    """The producer API answered with an error the dashboard has no page for."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"the producer API answered {status_code}: {detail}")


class TokenRefused(Exception):
    """The API does not accept the token (401): unknown, revoked or expired."""


class Forbidden(Exception):
    """The token's role may not do this (403); the message is the API's reason."""


class NotFound(Exception):
    """The producer API has no such job (or no such artifact)."""


class Conflict(Exception):
    """The producer API refused because of a job's current state (409); the message says why."""


class InvalidRequest(Exception):
    """The producer API refused the request as invalid (422); `errors` is its field detail."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return body.get("detail", response.text) if isinstance(body, dict) else response.text


def _segment(name: str) -> str:
    """A name as one path segment, whatever was typed ("a/b" must not reach another route)."""
    return quote(name, safe="")


def _credentials(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _refusal(response: httpx.Response) -> Exception | None:
    """The error for an answer that refuses the token or its role, if it is one."""
    if response.status_code == 401:
        return TokenRefused(str(_detail(response)))
    if response.status_code == 403:
        return Forbidden(str(_detail(response)))
    return None


class ProducerApi:
    """The producer API; `signed_in(token)` gives the client that asks as that token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._headers: dict[str, str] = {}

    def signed_in(self, token: str) -> "ProducerApi":
        """The same client (its connection pool), sending `token`."""
        signed_in = copy.copy(self)
        signed_in._headers = _credentials(token)
        return signed_in

    @property
    def url(self) -> str:
        return str(self._http.base_url)

    async def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {**self._headers, **options.pop("headers", {})}
        try:
            response = await self._http.request(method, path, headers=headers, **options)
        except httpx.TransportError as error:
            raise ApiUnavailable(self.url, "did not answer") from error
        if response.is_success:
            return response
        raise self._failure(response)

    def _failure(self, response: httpx.Response) -> Exception:
        """The domain error for an answer that is not a success."""
        if (refusal := _refusal(response)) is not None:
            return refusal
        detail = _detail(response)
        if response.status_code == 404:
            return NotFound(str(detail))
        if response.status_code == 409:
            return Conflict(str(detail))
        if response.status_code == 422 and isinstance(detail, list):
            return InvalidRequest(detail)
        if response.status_code == 503:
            return ApiUnavailable(self.url, f"is unavailable: {detail}")
        return ApiFailed(response.status_code, str(detail))

    async def is_healthy(self) -> bool:
        try:
            await self._send("GET", "/healthz")
        except (ApiUnavailable, ApiFailed):
            return False
        return True

    async def me(self) -> Me:
        """Who the token is (name, role, expiry); TokenRefused when the API does not know it."""
        return Me.model_validate_json((await self._send("GET", "/me")).content)

    async def stats(self, window: StatsWindowName) -> Stats:
        response = await self._send("GET", "/stats", params={"window": window})
        return Stats.model_validate_json(response.content)

    async def analytics(self, window: StatsWindowName, types: Sequence[str]) -> Analytics:
        params = [("window", window), *(("type", name) for name in types)]
        response = await self._send("GET", "/analytics", params=params)
        return Analytics.model_validate_json(response.content)

    async def list_jobs(self, params: Sequence[tuple[str, str | int]]) -> JobList:
        response = await self._send("GET", "/jobs", params=list(params))
        return JobList.model_validate_json(response.content)

    async def get_job(self, job_id: UUID) -> Job:
        return Job.model_validate_json((await self._send("GET", f"/jobs/{job_id}")).content)

    async def create_job(self, request: dict[str, Any], idempotency_key: str) -> JobPublic:
        response = await self._send(
            "POST", "/jobs", json=request, headers={"Idempotency-Key": idempotency_key}
        )
        return JobPublic.model_validate_json(response.content)

    async def cancel_job(self, job_id: UUID) -> JobPublic:
        response = await self._send("DELETE", f"/jobs/{job_id}")
        return JobPublic.model_validate_json(response.content)

    async def retry_job(self, job_id: UUID) -> JobPublic:
        response = await self._send("POST", f"/jobs/{job_id}/retry")
        return JobPublic.model_validate_json(response.content)

    async def bulk(self, action: JobAction, ids: Sequence[UUID]) -> BulkResult:
        body = {"action": action, "ids": [str(job_id) for job_id in ids]}
        response = await self._send("POST", "/jobs/bulk", json=body)
        return BulkResult.model_validate_json(response.content)

    async def bulk_matching(
        self, action: JobAction, filters: dict[str, Any], dry_run: bool
    ) -> BulkCount:
        """Act on every job the list's filters match (up to the API's limit); a dry run only
        counts what a run would do."""
        body = {"action": action, "filter": filters, "dry_run": dry_run}
        response = await self._send("POST", "/jobs/bulk", json=body)
        return BulkCount.model_validate_json(response.content)

    async def artifact(self, job_id: UUID) -> Artifact:
        response = await self._send("GET", f"/jobs/{job_id}/artifact")
        return Artifact(
            content=response.content,
            content_type=response.headers.get("content-type", "application/octet-stream"),
            content_disposition=response.headers.get("content-disposition"),
        )

    async def deliveries(self, job_id: UUID) -> list[DeliveryPublic]:
        response = await self._send("GET", f"/jobs/{job_id}/deliveries")
        return DeliveryList.model_validate_json(response.content).deliveries

    async def redeliver(self, job_id: UUID) -> None:
        """Queue the job's outcome for its callback_url again; Conflict says why not."""
        await self._send("POST", f"/jobs/{job_id}/deliveries")

    async def alerts(self, limit: int) -> list[AlertPublic]:
        response = await self._send("GET", "/alerts", params={"limit": limit})
        return AlertList.model_validate_json(response.content).alerts

    async def job_types(self) -> list[JobTypeInfo]:
        # Asked every time: types are registered, changed and deleted while the API runs.
        response = await self._send("GET", "/job-types")
        return JobTypeList.model_validate_json(response.content).types

    async def change_job_type(self, name: str, changes: dict[str, Any]) -> JobTypeInfo:
        """PATCH the type's controls: only those in `changes`; None lifts a limit."""
        response = await self._send("PATCH", f"/job-types/{_segment(name)}", json=changes)
        return JobTypeInfo.model_validate_json(response.content)

    async def register_job_type(self, name: str, schema: dict[str, Any], description: str) -> None:
        """PUT a custom type; the API judges the name, the schema and the description."""
        body = {"schema": schema, "description": description}
        await self._send("PUT", f"/job-types/{_segment(name)}", json=body)

    async def delete_job_type(self, name: str) -> None:
        await self._send("DELETE", f"/job-types/{_segment(name)}")

    async def cleanup_overview(self) -> CleanupOverview:
        response = await self._send("GET", "/maintenance/cleanup")
        return CleanupOverview.model_validate_json(response.content)

    async def run_cleanup(self, dry_run: bool) -> CleanupResult:
        params = {"dry_run": "true" if dry_run else "false"}
        response = await self._send("POST", "/maintenance/cleanup", params=params)
        return CleanupResult.model_validate_json(response.content)

    @contextlib.asynccontextmanager
    async def export(self, params: Sequence[tuple[str, str]]) -> AsyncIterator[httpx.Response]:
        """GET /exports/jobs.ndjson, open: the caller streams its body on."""
        request = self._http.build_request(
            "GET", "/exports/jobs.ndjson", params=list(params), headers=self._headers
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise ApiUnavailable(self.url, "did not answer") from error
        try:
            if not response.is_success:
                await response.aread()
                raise self._failure(response)
            yield response
        finally:
            await response.aclose()

    async def schedules(self) -> list[SchedulePublic]:
        response = await self._send("GET", "/schedules")
        return ScheduleList.model_validate_json(response.content).schedules

    async def schedule(self, name: str) -> SchedulePublic:
        response = await self._send("GET", f"/schedules/{_segment(name)}")
        return SchedulePublic.model_validate_json(response.content)

    async def create_schedule(self, request: dict[str, Any]) -> SchedulePublic:
        response = await self._send("POST", "/schedules", json=request)
        return SchedulePublic.model_validate_json(response.content)

    async def change_schedule(self, name: str, changes: dict[str, Any]) -> SchedulePublic:
        """PATCH the schedule: only what is in `changes`; a `job` is merged field by field."""
        response = await self._send("PATCH", f"/schedules/{_segment(name)}", json=changes)
        return SchedulePublic.model_validate_json(response.content)

    async def delete_schedule(self, name: str) -> None:
        await self._send("DELETE", f"/schedules/{_segment(name)}")

    async def run_schedule(self, name: str) -> JobPublic:
        """Make the schedule's job now."""
        response = await self._send("POST", f"/schedules/{_segment(name)}/trigger")
        return JobPublic.model_validate_json(response.content)


class WorkerService:
    """The worker service's GET /workers, asked as the signed-in token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._headers: dict[str, str] = {}

    def signed_in(self, token: str) -> "WorkerService":
        signed_in = copy.copy(self)
        signed_in._headers = _credentials(token)
        return signed_in

    async def runners(self) -> list[RunnerPublic] | None:
        """The runners the worker service knows, or None when it cannot be asked.

        The pages show "unreachable" rather than an error: the dashboard works without it.
        A refused token is no such failure: it ends the session, as the producer API's does.
        """
        try:
            response = await self._http.get("/workers", headers=self._headers)
            if (refusal := _refusal(response)) is not None:
                raise refusal
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.info("worker service unreachable: %s", error)
            return None
        if not isinstance(body, list):
            logger.warning("worker service sent no list of runners: %.200r", body)
            return None
        return [runner for item in body if (runner := _runner(item)) is not None]


def _runner(item: Any) -> RunnerPublic | None:
    # One runner the dashboard cannot read (a newer worker service, say) must not hide the rest.
    try:
        return RunnerPublic.model_validate(item)
    except ValidationError:
        logger.warning("skipping a runner the dashboard cannot read: %.200r", item)
        return None
