"""Roles, and which of them may call each route: the one place that says so.

A route missing from its service's table is refused to everyone (and a test walks every
route of both services against these tables, so a new route must join them).
"""

from collections.abc import Mapping
from types import MappingProxyType

from job_contract.roles import Role
from jobdeck_runtime import swagger_ui

__all__ = ["Role"]


# Each of these may do what the ones before it may. `runner` stands apart: it speaks only the
# worker protocol, and no other role includes it.
_LADDER = (Role.VIEWER, Role.PRODUCER, Role.OPERATOR, Role.ADMIN)


def at_least(role: Role) -> frozenset[Role]:
    """`role` and every role above it on the ladder."""
    return frozenset(_LADDER[_LADDER.index(role) :])


# Who may call a route: a set of roles, or PUBLIC (no token needed).
Access = frozenset[Role] | None
PUBLIC: Access = None
READERS = at_least(Role.VIEWER)
PRODUCERS = at_least(Role.PRODUCER)
OPERATORS = at_least(Role.OPERATOR)
ADMINS = at_least(Role.ADMIN)
RUNNERS = frozenset({Role.RUNNER})
ANY_TOKEN = frozenset(Role)

Route = tuple[str, str]  # (METHOD, path template as the app declares it)

# Served without a token: probes and metrics, and the documents that describe an API.
PROBE_PATHS = ("/healthz", "/metrics")
_PROBES: dict[Route, Access] = {("GET", path): PUBLIC for path in PROBE_PATHS}
_DOCUMENTS: dict[Route, Access] = {
    ("GET", swagger_ui.OPENAPI_PATH): PUBLIC,
    ("GET", swagger_ui.DOCS_PATH): PUBLIC,
    # Swagger UI's own files, which each API serves itself (no CDN).
    **{("GET", path): PUBLIC for path in swagger_ui.ASSET_PATHS},
}

PRODUCER_API: Mapping[Route, Access] = MappingProxyType(
    {
        **_PROBES,
        **_DOCUMENTS,
        ("GET", "/me"): ANY_TOKEN,
        ("POST", "/jobs"): PRODUCERS,
        ("POST", "/jobs/batch"): PRODUCERS,
        ("GET", "/jobs"): READERS,
        ("GET", "/jobs/{job_id}"): READERS,
        ("DELETE", "/jobs/{job_id}"): OPERATORS,
        ("POST", "/jobs/{job_id}/retry"): OPERATORS,
        ("POST", "/jobs/bulk"): OPERATORS,
        ("GET", "/jobs/{job_id}/artifact"): READERS,
        ("GET", "/jobs/{job_id}/deliveries"): READERS,
        ("POST", "/jobs/{job_id}/deliveries"): OPERATORS,
        ("GET", "/alerts"): READERS,
        ("GET", "/stats"): READERS,
        ("POST", "/maintenance/cleanup"): OPERATORS,
        ("GET", "/maintenance/cleanup"): READERS,
        ("GET", "/exports/jobs.ndjson"): READERS,
        ("GET", "/analytics"): READERS,
        ("GET", "/job-types"): READERS,
        ("PUT", "/job-types/{name}"): ADMINS,
        ("PATCH", "/job-types/{name}"): OPERATORS,
        ("DELETE", "/job-types/{name}"): ADMINS,
        ("GET", "/schedules"): READERS,
        ("POST", "/schedules"): OPERATORS,
        ("GET", "/schedules/{name}"): READERS,
        ("PATCH", "/schedules/{name}"): OPERATORS,
        ("DELETE", "/schedules/{name}"): OPERATORS,
        ("POST", "/schedules/{name}/trigger"): OPERATORS,
        ("GET", "/tokens"): ADMINS,
        ("POST", "/tokens"): ADMINS,
        ("DELETE", "/tokens/{token_id}"): ADMINS,
    }
)

WORKER_SERVICE: Mapping[Route, Access] = MappingProxyType(
    {
        **_PROBES,
        **_DOCUMENTS,
        ("POST", "/process"): RUNNERS,
        ("POST", "/complete"): RUNNERS,
        ("POST", "/complete/{job_id}"): RUNNERS,
        ("POST", "/fail/{job_id}"): RUNNERS,
        ("POST", "/workers/{worker_id}/heartbeat"): RUNNERS,
        ("PUT", "/artifacts/{job_id}"): RUNNERS,
        ("GET", "/report-data/{report_type}"): RUNNERS,
        # The dashboard shows runners and counts with the signed-in person's token.
        ("GET", "/workers"): READERS,
        ("GET", "/stats"): READERS,
    }
)


def describe(access: Access) -> str:
    """How the API documents a route's access: "no token", "admin", "operator or admin"."""
    if access is None:
        return "no token"
    names = [role.value for role in Role if role in access]
    if not names:
        return "no one"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
