"""From a schedule request to what is stored: its cron read in its zone, and its job template
checked exactly as POST /jobs checks a job (job_intake), payload normalised the same way.

Every problem is reported in one 422, each at its field (`["body", "cron"]`,
`["body", "timezone"]`, `["body", "job", "payload", …]`).
"""

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from job_contract.schedules import DEFAULT_TIMEZONE
from jobdeck_schedules.cron import CronSchedule, InvalidCron, InvalidTimezone, parse_timezone
from producer_api.job_intake import new_jobs
from producer_api.job_type_catalog import JobTypeCatalog
from producer_api.models import ScheduledJob, ScheduledJobChange

_BODY = ("body",)


async def checked_schedule(
    catalog: JobTypeCatalog, cron: str, timezone: str, job: ScheduledJob | None
) -> tuple[CronSchedule, dict[str, Any] | None]:
    """The schedule's times and its job template (None when no job is given: a PATCH that
    keeps it); RequestValidationError naming every field at fault."""
    errors: list[Any] = []
    schedule: CronSchedule | None = None
    template: dict[str, Any] | None = None
    try:
        schedule = _checked_cron(cron, timezone)
    except RequestValidationError as invalid:
        errors.extend(invalid.errors())
    if job is not None:
        try:
            template = await _checked_template(catalog, job)
        except RequestValidationError as invalid:
            errors.extend(invalid.errors())
    if errors or schedule is None:
        raise RequestValidationError(errors)
    return schedule, template


def merged_job(change: ScheduledJobChange, stored: dict[str, Any]) -> ScheduledJob:
    """A PATCH's `job` applied to the stored template, as the job to check and store."""
    try:
        return ScheduledJob.model_validate(change.merged_into(stored))
    except ValidationError as invalid:
        located = [{**error, "loc": (*_BODY, "job", *error["loc"])} for error in invalid.errors()]
        raise RequestValidationError(located) from invalid


def _checked_cron(cron: str, timezone: str) -> CronSchedule:
    errors: list[dict[str, Any]] = []
    try:
        parse_timezone(timezone)
    except InvalidTimezone as invalid:
        errors.append(_error("timezone", timezone, invalid, "timezone_invalid"))
        timezone = DEFAULT_TIMEZONE  # so the cron is still checked: both faults at once
    try:
        schedule = CronSchedule(cron, timezone)
    except InvalidCron as invalid:
        errors.append(_error("cron", cron, invalid, "cron_invalid"))
    if errors:
        raise RequestValidationError(errors)
    return schedule


async def _checked_template(catalog: JobTypeCatalog, job: ScheduledJob) -> dict[str, Any]:
    """The job template as stored: the request's fields, its payload as POST /jobs would
    store it; RequestValidationError naming each field at fault under `job`."""
    (new_job,) = await new_jobs(catalog, [job], [(*_BODY, "job")])
    template = job.model_dump(mode="json", exclude={"scheduled_for"})
    template["payload"] = new_job.payload
    return template


def _error(field: str, value: str, invalid: ValueError, kind: str) -> dict[str, Any]:
    return {"loc": [*_BODY, field], "msg": str(invalid), "type": kind, "input": value}
