"""From a create request to the jobs to insert: each job's type must be registered and its
payload must fit the type's schema; defaults come from the type.

Built-in payloads are validated (and normalised) by job_contract's pydantic models, custom ones
by their JSON Schema. Every problem of every job is reported in one 422, each at its field's
path (`["body", "payload", …]`, or `["body", "jobs", i, "payload", …]` in a batch).
"""

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from job_contract.bounds import DEFAULT_MAX_ATTEMPTS
from job_contract.job_create import JobCreate
from job_contract.payloads import validate_payload
from producer_api.errors import UnknownJobType
from producer_api.job_type_catalog import CatalogType, JobTypeCatalog
from producer_api.payload_schemas import Location, payload_problems
from producer_api.store import NewJob


async def new_jobs(
    catalog: JobTypeCatalog, requests: Sequence[JobCreate], locations: Sequence[Location]
) -> list[NewJob]:
    """The jobs to insert, in order; RequestValidationError naming every field at fault."""
    errors: list[dict[str, Any]] = []
    jobs: list[NewJob] = []
    for request, at in zip(requests, locations, strict=True):
        job_type = await catalog.get(request.type)
        if job_type is None:
            unknown = UnknownJobType(loc=(*at, "type"), name=request.type)
            errors.append(
                {"loc": list(unknown.loc), "msg": str(unknown), "type": "job_type_unknown"}
            )
            continue
        payload, problems = _checked_payload(job_type, request.payload, (*at, "payload"))
        errors.extend(problems)
        jobs.append(
            NewJob(
                type=request.type,
                priority=request.priority,
                payload=payload,
                max_attempts=request.max_attempts
                or job_type.default_max_attempts
                or DEFAULT_MAX_ATTEMPTS,
                scheduled_for=request.scheduled_for,
                concurrency_key=request.concurrency_key,
                callback_url=request.callback_url,
            )
        )
    if errors:
        raise RequestValidationError(errors)
    return jobs


def _checked_payload(
    job_type: CatalogType, payload: dict[str, Any], at: Location
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The payload as it will be stored, and what is wrong with it."""
    if job_type.builtin is not None:
        try:
            model = validate_payload(job_type.builtin, payload)
        except ValidationError as invalid:
            return payload, [
                {**error, "loc": [*at, *error["loc"]]}
                for error in invalid.errors(include_url=False)
            ]
        return model.model_dump(mode="json"), []
    assert job_type.validator is not None  # the catalog compiles every custom type's schema
    return payload, [
        problem.as_error(at) for problem in payload_problems(job_type.validator, payload)
    ]
