"""The runner: claim slots, heartbeats, and a graceful stop.

`concurrency` slots each take up to `batch_size` jobs (claimed together, claims.py), run them,
and report the outcomes; completions from all slots share requests (acks.py). One heartbeat
task renews the leases of every job in flight and abandons those the service says are lost;
another abandons those whose lease ran out on the runner's own clock (leases.py) because no
heartbeat got through. An outcome whose answer was lost is sent again, backing off, while the
lease may still hold (the job keeps being heartbeated meanwhile): the service answers a
report it already recorded as a success, so a retry never runs or completes a job twice.

On stop: no new claims; jobs in flight get `grace_seconds` to finish; whatever is still
running then is failed back as retryable, so another runner picks it up at once.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from job_contract import JobType, validate_payload
from job_contract.bounds import DEFAULT_MAX_RESULT_BYTES, MAX_WAIT_SECONDS
from job_contract.payloads import ReportType
from job_contract.results import storable_json
from job_contract.worker_api import ClaimedJob, CompletedJob, ProcessOptions
from jobdeck_runtime import logs
from worker_service.runner.acks import Acknowledger
from worker_service.runner.claims import SlotClaims
from worker_service.runner.client import (
    TokenRefused,
    WorkerServiceClient,
    WorkerServiceUnavailable,
)
from worker_service.runner.context import JobContext
from worker_service.runner.handlers import PermanentFailure
from worker_service.runner.leases import LocalLease
from worker_service.runner.registry import HandlerRegistry
from worker_service.runner.settings import RunnerSettings

logger = logging.getLogger("worker_service.runner")


def about_job(job: ClaimedJob) -> AbstractContextManager[None]:
    """Every line logged about this job carries it, and the calls made for it send its id
    and attempt as their X-Request-ID, so `grep <job id>` follows it across services."""
    return logs.bound(
        job_id=str(job.id),
        type=job.type,
        attempt=job.attempts,
        request_id=f"{job.id}.{job.attempts}",
    )


BUILTIN_TYPES = frozenset(JobType)
# An unanswered report is sent again after 0.1 s, doubling up to 2 s: soon enough that a blip
# costs little, sparse enough that a service on its way back is not swamped by every runner.
REPORT_RETRY_FIRST_SECONDS = 0.1
REPORT_RETRY_MAX_SECONDS = 2.0
# How often leases are checked against the runner's clock, at most (the heartbeat interval
# when shorter): a job is abandoned within this of its lease running out.
LEASE_CHECK_SECONDS = 0.5

Answer = TypeVar("Answer")


@dataclass(frozen=True, slots=True)
class JobFailed:
    """An attempt that did not succeed, and whether another attempt may."""

    error: str
    retryable: bool = True


# What running a job comes to: a completion to acknowledge (with the others that finished
# meanwhile, see acks.py), or a failure to report on its own.
JobOutcome = CompletedJob | JobFailed


class Running(NamedTuple):
    """A claimed job, the task running its handler, and its lease as this runner sees it."""

    job: ClaimedJob
    task: asyncio.Task[JobOutcome]
    lease: LocalLease


class Runner:
    def __init__(
        self,
        client: WorkerServiceClient,
        settings: RunnerSettings,
        registry: HandlerRegistry,
        concurrency: int = 4,
        types: list[str] | None = None,
        batch_size: int = 1,
        no_op: bool = False,
    ) -> None:
        """`types`: the job types to claim; by default those `registry` has handlers for (any
        type with `no_op`, which runs no handler)."""
        self._client = client
        self._settings = settings
        self._registry = registry
        self._concurrency = concurrency
        self._batch_size = batch_size
        if types is None and not no_op:
            types = registry.types
        # Every claim asks the same, so it is built (and validated) once.
        self._claim_options = ProcessOptions(
            worker_id=client.worker_id,
            types=",".join(types) if types else None,
            wait=MAX_WAIT_SECONDS,
            limit=batch_size,
        )
        self._no_op = no_op
        self._acks = Acknowledger(client)
        self._stopping = asyncio.Event()
        self._claims = SlotClaims(client, self._claim_options, self._stopping)
        self._grace_over = False  # stopping, and the grace period has passed: retry no more
        self._in_flight: dict[UUID, Running] = {}
        self.processed = 0
        self.refused: TokenRefused | None = None

    def stop(self) -> None:
        """Stop claiming and drain (called on SIGTERM / SIGINT)."""
        self._stopping.set()

    async def run(self) -> None:
        logger.info(
            "runner %s: %d slots, batch %d, types %s",
            self._client.worker_id,
            self._concurrency,
            self._batch_size,
            self._claim_options.types or "any",
        )
        heartbeat = asyncio.create_task(self._heartbeat_forever())
        lease_watch = asyncio.create_task(self._watch_leases())
        acknowledger = asyncio.create_task(self._acks.run())
        claimer = asyncio.create_task(self._claims.run())
        slots = [asyncio.create_task(self._slot()) for _ in range(self._concurrency)]
        await self._stopping.wait()
        await self._drain(slots)
        for task in (heartbeat, lease_watch, acknowledger, claimer):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(WorkerServiceUnavailable):
            await self._client.heartbeat([], self.processed, stopping=True)

    # --- claiming -------------------------------------------------------------------------

    async def _slot(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                jobs = await self._claims.take()
                backoff = 0.1
            except TokenRefused as refusal:
                # Every request would be refused the same way: stop, saying why.
                logger.error("%s; stopping", refusal)
                self.refused = refusal
                self.stop()
                return
            except WorkerServiceUnavailable as error:
                logger.warning("cannot claim (%s); retrying in %.1fs", error, backoff)
                await self._sleep_unless_stopping(backoff)
                backoff = min(backoff * 2, 5)
                continue
            if jobs:
                await self._run_batch(jobs)

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # --- running --------------------------------------------------------------------------

    async def _run_batch(self, jobs: list[ClaimedJob]) -> None:
        heard_at = asyncio.get_running_loop().time()
        batch = [
            Running(
                job,
                asyncio.create_task(self.execute(job)),
                LocalLease.heard_at(job.lease_seconds, heard_at),
            )
            for job in jobs
        ]
        for running in batch:
            self._in_flight[running.job.id] = running
        await asyncio.wait([running.task for running in batch])
        completed: list[tuple[Running, CompletedJob]] = []
        for running in batch:
            if running.task.cancelled():
                continue  # abandoned: its lease was lost, or it was failed back on shutdown
            outcome = running.task.result()
            if isinstance(outcome, CompletedJob):
                completed.append((running, outcome))
            else:
                await self._report_failure(running, outcome)
        if completed:
            await self._acknowledge(completed)
        # Only now: until its outcome is answered, each job's lease is heartbeated.
        for running in batch:
            self._in_flight.pop(running.job.id, None)
        self.processed += len(batch)

    async def _acknowledge(self, completed: list[tuple[Running, CompletedJob]]) -> None:
        acknowledged = await self._until_answered(
            [running for running, _job in completed],
            lambda: self._acks.complete([job for _running, job in completed]),
        )
        if acknowledged is None:
            return
        for running, _job in completed:
            refusal = acknowledged.rejected.get(running.job.id)
            if refusal is not None:
                # Sending it again would be refused again: this attempt failed for good.
                failure = JobFailed(f"its result cannot be stored: {refusal}", retryable=False)
                await self._report_failure(running, failure)

    async def _report_failure(self, running: Running, outcome: JobFailed) -> None:
        job = running.job
        with about_job(job):
            await self._until_answered(
                [running],
                lambda: self._client.fail(job.id, job.attempts, outcome.error, outcome.retryable),
            )

    async def _until_answered(
        self, reporting: list[Running], send: Callable[[], Awaitable[Answer]]
    ) -> Answer | None:
        """send() until the service answers, backing off, while the lease of any job in
        `reporting` may still hold; None when it never answered. A refused token ends it at
        once: the slots stop the runner for that."""
        loop = asyncio.get_running_loop()
        delay = REPORT_RETRY_FIRST_SECONDS
        while True:
            deadline = max(running.lease.deadline for running in reporting)
            try:
                async with asyncio.timeout_at(deadline if deadline < float("inf") else None):
                    return await send()
            except TokenRefused as refusal:
                logger.error("could not report an outcome: %s", refusal)
                return None
            except (WorkerServiceUnavailable, TimeoutError) as error:
                now = loop.time()
                if self._grace_over or all(running.lease.gone(now) for running in reporting):
                    # Another runner may have the jobs now; the rescuer brings back the rest.
                    ids = ", ".join(str(running.job.id) for running in reporting)
                    why = "stopping" if self._grace_over else "the lease ran out"
                    logger.warning("gave up reporting on %s: %s (%r)", ids, why, error)
                    return None
                logger.warning("could not report an outcome (%r); again in %.1fs", error, delay)
                await asyncio.sleep(min(delay, max(deadline - now, 0)))
                delay = min(delay * 2, REPORT_RETRY_MAX_SECONDS)

    async def execute(self, job: ClaimedJob) -> JobOutcome:
        """Run one claimed job's handler and turn whatever happens into its outcome."""
        with about_job(job):
            return await self._execute(job)

    async def _execute(self, job: ClaimedJob) -> JobOutcome:
        job_id, attempt = job.id, job.attempts
        if self._no_op:
            return CompletedJob(id=job_id, attempt=attempt, result={})
        registration = self._registry.get(job.type)
        if registration is None:
            # Claimed because --types named it: another attempt here would fail the same way.
            return JobFailed(
                f"no handler for type {job.type} on this runner (start one with --handlers"
                " naming a module that handles it)",
                retryable=False,
            )
        payload: BaseModel | dict[str, Any] = job.payload
        if job.type in BUILTIN_TYPES:
            try:
                payload = validate_payload(JobType(job.type), job.payload)
            except ValidationError as error:
                return JobFailed(f"invalid payload: {error}", retryable=False)
        context = JobContext(
            id=job_id,
            type=job.type,
            attempt=attempt,
            payload=payload,
            settings=self._settings,
            upload_artifact=lambda content, content_type, filename: self._client.upload_artifact(
                job_id, attempt, content, content_type, filename
            ),
            fetch_report_rows=self._fetch_report_rows,
        )
        # The type's own timeout (sent with the claim) wins over the handler's default.
        timeout = job.timeout_seconds or registration.default_timeout_seconds
        started = time.monotonic()
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                await self._simulate()
                # Validated here, so a result that cannot be reported fails the job instead.
                result = await registration.handle(context)
                completed = CompletedJob(id=job_id, attempt=attempt, result=result)
        except TimeoutError as error:
            if not deadline.expired():  # the handler's own timeout (a slow server, say)
                return JobFailed(f"{type(error).__name__}: {error}")
            return JobFailed(f"timed out after {timeout:g} s")
        except PermanentFailure as error:
            return JobFailed(str(error), retryable=False)
        except Exception as error:  # a handler's failure is the job's, never the runner's
            logger.info("job %s attempt %d failed: %r", job_id, attempt, error)
            return JobFailed(f"{type(error).__name__}: {error}")
        if completed.result is not None:
            # The service's check, made here (with its default limit), so a result it would
            # refuse fails this job for good instead of the batch of acknowledgements it joins.
            try:
                storable_json(completed.result, DEFAULT_MAX_RESULT_BYTES)
            except ValueError as error:
                return JobFailed(f"its result cannot be stored: {error}", retryable=False)
        logger.debug("job %s done in %.3fs", job_id, time.monotonic() - started)
        return completed

    async def _fetch_report_rows(
        self, report_type: ReportType, start: date, end: date
    ) -> list[dict[str, Any]]:
        return await self._client.report_rows(report_type, start, end)

    async def _simulate(self) -> None:
        """SIMULATED_DURATION_MS and SIMULATED_FAILURE_RATE, to make demos lively."""
        if self._settings.simulated_duration_ms:
            await asyncio.sleep(self._settings.simulated_duration_ms / 1000)
        if random.random() < self._settings.simulated_failure_rate:
            raise RuntimeError("simulated failure (SIMULATED_FAILURE_RATE)")

    # --- leases ---------------------------------------------------------------------------

    async def _heartbeat_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            sent_at = loop.time()
            held = list(self._in_flight)
            try:
                lost = await self._client.heartbeat(held, self.processed, stopping=False)
            except WorkerServiceUnavailable as error:
                logger.warning("heartbeat failed: %s", error)
            else:
                for job_id in held:
                    running = self._in_flight.get(job_id)
                    if running is None:
                        continue  # reported and forgotten while the heartbeat was on its way
                    if job_id not in lost:
                        running.lease.renew(sent_at)
                        continue
                    running.lease.lost = True
                    if not running.task.done():
                        # Someone else may already be running it: stop, and report nothing.
                        self._abandon(running, "lost the lease of job %s; abandoning it")
                    # Finished while the heartbeat was on its way: acknowledged already, or
                    # about to be, and the fencing check decides whether that still counts.
            await asyncio.sleep(self._settings.heartbeat_interval_seconds)

    async def _watch_leases(self) -> None:
        """Abandon jobs whose lease ran out with no renewal heard: heartbeats are not getting
        through, and the rescuer may already have handed the job to another runner."""
        loop = asyncio.get_running_loop()
        every = min(self._settings.heartbeat_interval_seconds, LEASE_CHECK_SECONDS)
        while True:
            await asyncio.sleep(every)
            now = loop.time()
            for running in list(self._in_flight.values()):
                if not running.task.done() and running.lease.gone(now):
                    self._abandon(running, "the lease of job %s ran out unrenewed; abandoning it")

    def _abandon(self, running: Running, message: str) -> None:
        with about_job(running.job):
            logger.warning(message, running.job.id)
        running.task.cancel()

    # --- stopping -------------------------------------------------------------------------

    async def _drain(self, slots: list[asyncio.Task[None]]) -> None:
        """Give running jobs the grace period, then fail back whatever has not finished."""
        _done, unfinished = await asyncio.wait(slots, timeout=self._settings.shutdown_grace_seconds)
        if not unfinished:
            return
        self._grace_over = True
        leftovers = list(self._in_flight.values())
        for running in leftovers:
            running.task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        for job, _task, _lease in leftovers:
            with about_job(job):
                logger.info("failing back job %s: shutting down before it finished", job.id)
                # One try: a runner told to stop does not linger, and if this is lost the lease
                # brings the job back all the same.
                try:
                    await self._client.fail(
                        job.id, job.attempts, "runner shut down before finishing", retryable=True
                    )
                except WorkerServiceUnavailable as error:
                    logger.warning("could not fail back job %s: %s", job.id, error)
