"""What the signed-in role may do, read from the producer API's access table.

The pages hide what a role may not do; the API refuses it anyway. Both answers come from
jobdeck_access.roles.PRODUCER_API, so they cannot disagree.
"""

from dataclasses import dataclass

from jobdeck_access.roles import PRODUCER_API, Role, Route, describe

LIST_JOBS: Route = ("GET", "/jobs")
CREATE_JOB: Route = ("POST", "/jobs")
CANCEL_JOB: Route = ("DELETE", "/jobs/{job_id}")
RETRY_JOB: Route = ("POST", "/jobs/{job_id}/retry")
BULK_ACTION: Route = ("POST", "/jobs/bulk")
REDELIVER: Route = ("POST", "/jobs/{job_id}/deliveries")
CHANGE_TYPE: Route = ("PATCH", "/job-types/{name}")
REGISTER_TYPE: Route = ("PUT", "/job-types/{name}")
DELETE_TYPE: Route = ("DELETE", "/job-types/{name}")
RUN_CLEANUP: Route = ("POST", "/maintenance/cleanup")
CREATE_SCHEDULE: Route = ("POST", "/schedules")
CHANGE_SCHEDULE: Route = ("PATCH", "/schedules/{name}")
RUN_SCHEDULE: Route = ("POST", "/schedules/{name}/trigger")
DELETE_SCHEDULE: Route = ("DELETE", "/schedules/{name}")


def may(role: Role | None, route: Route) -> bool:
    access = PRODUCER_API[route]
    return access is None or role in access


def needed_for(route: Route) -> str:
    """Who may: "operator or admin"."""
    return describe(PRODUCER_API[route])


def may_sign_in(role: Role) -> bool:
    """The dashboard is for people who may at least read the jobs (not for runner tokens)."""
    return may(role, LIST_JOBS)


@dataclass(frozen=True)
class Permissions:
    """What the pages offer; `may` in every template."""

    create_jobs: bool = False
    cancel_jobs: bool = False
    retry_jobs: bool = False
    bulk_actions: bool = False
    redeliver: bool = False
    change_types: bool = False
    register_types: bool = False
    delete_types: bool = False
    run_cleanup: bool = False
    create_schedules: bool = False
    change_schedules: bool = False
    run_schedules: bool = False
    delete_schedules: bool = False

    @classmethod
    def of(cls, role: Role | None) -> "Permissions":
        if role is None:
            return cls()
        return cls(
            create_jobs=may(role, CREATE_JOB),
            cancel_jobs=may(role, CANCEL_JOB),
            retry_jobs=may(role, RETRY_JOB),
            bulk_actions=may(role, BULK_ACTION),
            redeliver=may(role, REDELIVER),
            change_types=may(role, CHANGE_TYPE),
            register_types=may(role, REGISTER_TYPE),
            delete_types=may(role, DELETE_TYPE),
            run_cleanup=may(role, RUN_CLEANUP),
            create_schedules=may(role, CREATE_SCHEDULE),
            change_schedules=may(role, CHANGE_SCHEDULE),
            run_schedules=may(role, RUN_SCHEDULE),
            delete_schedules=may(role, DELETE_SCHEDULE),
        )
