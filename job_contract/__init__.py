"""The wire contract the producer API, worker service, runners and dashboard share.

Depends on pydantic only, so any side can import it without pulling in the others.
"""

from job_contract.payloads import (
    PAYLOAD_MODELS,
    EmailPayload,
    NotificationPayload,
    ReportPayload,
    payload_json_schemas,
    validate_payload,
)
from job_contract.statuses import FINAL_STATUSES, EventKind, JobStatus, JobType

__all__ = [
    "FINAL_STATUSES",
    "PAYLOAD_MODELS",
    "EmailPayload",
    "EventKind",
    "JobStatus",
    "JobType",
    "NotificationPayload",
    "ReportPayload",
    "payload_json_schemas",
    "validate_payload",
]
