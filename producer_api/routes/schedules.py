"""/schedules: recurring jobs. A schedule's cron is read in its IANA time zone; its job is
checked exactly as POST /jobs checks one. The worker service fires them."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from job_contract import JobPublic
from job_contract.producer_api import ErrorMessage
from job_contract.schedules import SCHEDULE_NAME_PATTERN, ScheduleList, SchedulePublic
from producer_api.models import ScheduleChange, ScheduleCreate
from producer_api.routes.job_types import CatalogDep
from producer_api.schedule_intake import checked_schedule, merged_job
from producer_api.schedule_store import NewSchedule, ScheduleEdit, ScheduleStore

router = APIRouter(tags=["schedules"])


def get_schedules(request: Request) -> ScheduleStore:
    schedules: ScheduleStore = request.app.state.schedules
    return schedules


SchedulesDep = Annotated[ScheduleStore, Depends(get_schedules)]
Name = Annotated[str, Path(pattern=SCHEDULE_NAME_PATTERN, examples=["nightly-report"])]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No schedule of that name"}
}


@router.get("/schedules", response_model=ScheduleList, summary="Schedules and their next runs")
async def list_schedules(schedules: SchedulesDep) -> ScheduleList:
    return ScheduleList(schedules=await schedules.list())


@router.post(
    "/schedules",
    status_code=201,
    response_model=SchedulePublic,
    responses={409: {"model": ErrorMessage, "description": "The name is taken"}},
    summary="Create a schedule",
    description="Its first job is made at the first fire time after now.",
)
async def create_schedule(
    request: ScheduleCreate, schedules: SchedulesDep, catalog: CatalogDep
) -> SchedulePublic:
    times, template = await checked_schedule(catalog, request.cron, request.timezone, request.job)
    assert template is not None  # a job was given, so it was checked
    return await schedules.create(
        NewSchedule(name=request.name, times=times, job=template, enabled=request.enabled)
    )


@router.get(
    "/schedules/{name}", response_model=SchedulePublic, responses=NOT_FOUND, summary="A schedule"
)
async def get_schedule(name: Name, schedules: SchedulesDep) -> SchedulePublic:
    return await schedules.get(name)


@router.patch(
    "/schedules/{name}",
    response_model=SchedulePublic,
    responses=NOT_FOUND,
    summary="Change a schedule: only the fields sent change, `job` field by field",
    description="`job` is merged into the stored one (JSON Merge Patch, one level):"
    ' `{"job": {"callback_url": null}}` removes the callback and keeps the rest; `payload`'
    " is replaced whole. `timezone: null` goes back to UTC. A new cron or time zone, or"
    " enabling it again, counts from now: times it was disabled are not made up.",
)
async def change_schedule(
    name: Name, change: ScheduleChange, schedules: SchedulesDep, catalog: CatalogDep
) -> SchedulePublic:
    current = await schedules.get(name)
    timezone = change.new_timezone()
    job = None if change.job is None else merged_job(change.job, current.job)
    _, template = await checked_schedule(
        catalog, change.cron or current.cron, timezone or current.timezone, job
    )
    edit = ScheduleEdit(cron=change.cron, timezone=timezone, job=template, enabled=change.enabled)
    return await schedules.change(name, edit)


@router.delete(
    "/schedules/{name}",
    status_code=204,
    response_class=Response,
    responses=NOT_FOUND,
    summary="Delete a schedule; the jobs it made stay",
)
async def delete_schedule(name: Name, schedules: SchedulesDep) -> Response:
    await schedules.delete(name)
    return Response(status_code=204)


@router.post(
    "/schedules/{name}/trigger",
    status_code=201,
    response_model=JobPublic,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorMessage, "description": "Its job's type was deleted"},
    },
    summary="Run a schedule now: make its job at once (enabled or not)",
)
async def trigger_schedule(name: Name, schedules: SchedulesDep) -> dict[str, Any]:
    return await schedules.run_now(name)
