"""The roles an API token may have (SPEC, Access); what each may call is jobdeck_access's."""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    PRODUCER = "producer"
    OPERATOR = "operator"
    ADMIN = "admin"
    RUNNER = "runner"
