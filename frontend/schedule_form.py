"""The schedule forms: a name, a cron and a time zone, and the job part of the create-job form
(job_form.py) under `job`. The request body is built from the submitted fields, the API's
422s are placed beside them, and an edit form starts from what the schedule has stored."""

from collections.abc import Mapping, Sequence
from typing import Any

from frontend.job_form import SCHEDULED_JOB_FIELDS, JobForm, field_errors, job_request
from frontend.schema_form import FormField, form_values, place_errors
from job_contract.schedules import DEFAULT_TIMEZONE, SchedulePublic

NAME = FormField(
    "name",
    "Name",
    "text",
    required=True,
    hint="Lower-case letters, digits, _ and -: the schedule's address, kept once created.",
    placeholder="nightly-report",
    max_length=100,
)
WHEN_FIELDS = (
    FormField(
        "cron",
        "Cron",
        "text",
        required=True,
        hint="Five fields: minute hour day-of-month month day-of-week."
        " */10 * * * * is every 10 minutes; 30 2 * * 1-5 is 02:30 on weekdays.",
        placeholder="*/10 * * * *",
        max_length=200,
    ),
    FormField(
        "timezone",
        "Time zone",
        "text",
        hint="An IANA name such as Europe/Berlin: the cron is read there, DST included.",
        default=DEFAULT_TIMEZONE,
        max_length=100,
    ),
)
# Where the job sits in a schedule's request body.
_JOB = ("job",)


def schedule_form(form: JobForm, creating: bool) -> JobForm:
    """The create-job form `form`, made a schedule's: its own fields first, no "Run after"."""
    form.job_fields = SCHEDULED_JOB_FIELDS
    form.extra_fields = (NAME, *WHEN_FIELDS) if creating else WHEN_FIELDS
    return form


def schedule_request(
    form: JobForm, submitted: Mapping[str, str], creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The POST (or PATCH) /schedules body, and {field: problem} for values the form could
    not read (sent as typed all the same, so the API judges the rest)."""
    job, problems = job_request(form.job_type, form.fields, submitted, form.job_fields)
    if not creating:
        # The API merges a PATCH's job into the stored one: a field the form shows and the
        # user emptied is sent as null to clear it; what the form does not show (a
        # callback_url set through the API) stays as it is.
        for field in form.job_fields:
            job.setdefault(field.name, None)
    body: dict[str, Any] = {
        "cron": submitted.get("cron", ""),
        "timezone": submitted.get("timezone", "").strip() or DEFAULT_TIMEZONE,
        "job": job,
    }
    if creating:
        body["name"] = submitted.get("name", "")
    return body, problems


def schedule_errors(form: JobForm, errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """{field: message} from the API's 422: the job's fields as the create-job form places
    them, the schedule's own by name."""
    own = {field.name for field in form.extra_fields}
    placed = place_errors([e for e in errors if _field_of(e) in own], own, drop=("body",))
    about_job = [e for e in errors if _field_of(e) not in own]
    return {**placed, **field_errors(form.job_type, about_job, form.names, within=_JOB)}


def stored_values(schedule: SchedulePublic, form: JobForm) -> dict[str, str]:
    """What the edit form shows at first: the schedule as stored."""
    fields = [*form.job_fields, *form.fields]
    return {
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "type": str(schedule.job.get("type", "")),
        **form_values(fields, schedule.job),
    }


def _field_of(error: Mapping[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    return loc[1] if len(loc) > 1 and loc[0] == "body" else ""
