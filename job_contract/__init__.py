"""The wire contract the producer API, worker service, runners and dashboard share.

Depends on pydantic only, so any side can import it without pulling in the others. Each fact
about a job lives in one module here: its statuses (`statuses`), what may happen to it
(`transitions`), the numbers it is held to (`bounds`), its public shape (`jobs`), its payloads
(`payloads`), and the two APIs' bodies (`producer_api`, `worker_api`).
"""

from job_contract.jobs import EventPublic, JobDetail, JobPublic
from job_contract.payloads import (
    PAYLOAD_MODELS,
    EmailPayload,
    NotificationPayload,
    ReportPayload,
    payload_json_schemas,
    validate_payload,
)
from job_contract.statuses import EventKind, JobStatus, JobType
from job_contract.transitions import FINAL_STATUSES, JobAction

__all__ = [
    "FINAL_STATUSES",
    "PAYLOAD_MODELS",
    "EmailPayload",
    "EventKind",
    "EventPublic",
    "JobAction",
    "JobDetail",
    "JobPublic",
    "JobStatus",
    "JobType",
    "NotificationPayload",
    "ReportPayload",
    "payload_json_schemas",
    "validate_payload",
]
