"""One job as a line of NDJSON: its public fields and its timeline, as GET /jobs/{id} shows
them. The archive and the export write the same lines, so either can be read back alike."""

from collections.abc import Mapping
from typing import Any

from job_contract import JobDetail
from job_contract.jobs import public_fields


def job_line(row: Mapping[str, Any]) -> bytes:
    """`row` holds the job's columns and `events` (job_events_json()'s list)."""
    job = JobDetail.model_validate({**public_fields(row), "events": row["events"]})
    return job.model_dump_json().encode() + b"\n"
