"""Job types, statuses and event kinds: the values the database CHECK constraints allow."""

from enum import StrEnum


class JobType(StrEnum):
    EMAIL = "email"
    REPORT = "report"
    NOTIFICATION = "notification"


class JobStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    """One entry of a job's timeline, written in the same transaction as the change."""

    CREATED = "created"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    FAILED = "failed"
    RETRY_SCHEDULED = "retry_scheduled"
    RESCUED = "rescued"
    CANCELLED = "cancelled"
    RETRIED = "retried"
    # A job's outcome reached its callback_url (first success), or never will (last failure).
    CALLBACK_DELIVERED = "callback_delivered"
    CALLBACK_FAILED = "callback_failed"
