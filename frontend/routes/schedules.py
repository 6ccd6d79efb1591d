"""/schedules: each schedule with its cron in words, time zone, next runs and last job;
operators create and edit them (the job part is the create-job form), enable or disable them,
run them now, delete them.

Each form posts and redirects without JavaScript; through htmx the enable and run-now buttons
swap just their schedule's row.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from frontend.client import Conflict, Forbidden, InvalidRequest, ProducerApi
from frontend.deps import ApiDep, SessionDep
from frontend.job_form import JobForm
from frontend.permissions import CHANGE_SCHEDULE, CREATE_SCHEDULE, may, needed_for
from frontend.schedule_form import schedule_errors, schedule_form, schedule_request, stored_values
from frontend.session import Session
from frontend.templating import is_htmx, render, render_part
from job_contract.schedules import SchedulePublic

router = APIRouter()

FORM = "schedules/form.html"
# How many of its next runs a row shows (the API gives five).
RUNS_SHOWN = 3


def _row_id(name: str) -> str:
    return f"schedule-{name}"


def _require(session: Session, route: tuple[str, str], doing: str) -> None:
    # A form this role could never send: say so now, not after it is filled in.
    if not may(session.role, route):
        raise Forbidden(f"role {session.role} may not {doing}; it needs {needed_for(route)}")


async def _form(api: ProducerApi, requested_type: str, creating: bool) -> JobForm:
    return schedule_form(JobForm.for_type(await api.job_types(), requested_type), creating)


def _show(request: Request, form: JobForm, name: str | None, status: int = 200) -> HTMLResponse:
    action = f"/schedules/{name}/edit" if name else "/schedules/new"
    context = {"form": form, "name": name, "action": action}
    headers = {"HX-Push-Url": "false"} if status != 200 else None
    return render(request, FORM, context, status, headers)


async def _page(
    request: Request, api: ProducerApi, notices: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    context = {"schedules": await api.schedules(), "runs_shown": RUNS_SHOWN, "notices": notices}
    return render(request, "schedules/page.html", context, status)


@router.get("/schedules", response_class=HTMLResponse)
async def schedules_page(request: Request, api: ApiDep) -> HTMLResponse:
    return await _page(request, api)


@router.get("/schedules/new", response_class=HTMLResponse)
async def new_schedule(
    request: Request,
    api: ApiDep,
    session: SessionDep,
    job_type: Annotated[str, Query(alias="type")] = "",
) -> HTMLResponse:
    _require(session, CREATE_SCHEDULE, "create schedules")
    form = await _form(api, job_type, creating=True)
    form.values = dict(request.query_params)  # "Show fields" without JavaScript keeps values
    return _show(request, form, None)


async def _save(request: Request, api: ProducerApi, name: str | None) -> Response:
    """Create (no `name`) or change a schedule from its form: back to the list, or the form
    again with the API's refusals beside their fields."""
    creating = name is None
    submitted = {key: str(value) for key, value in (await request.form()).items()}
    form = await _form(api, submitted.get("type", ""), creating)
    form.values = submitted
    body, problems = schedule_request(form, submitted, creating)
    try:
        saved = await (
            api.create_schedule(body) if name is None else api.change_schedule(name, body)
        )
    except InvalidRequest as invalid:
        form.errors = {**schedule_errors(form, invalid.errors), **problems}
    except Conflict as taken:  # only a creation: the name is someone else's
        form.errors = {"name": str(taken)}
    else:
        return RedirectResponse(f"/schedules#{_row_id(saved.name)}", status_code=303)
    return _show(request, form, name, 422)


@router.post("/schedules/new")
async def create_schedule(request: Request, api: ApiDep) -> Response:
    return await _save(request, api, None)


@router.get("/schedules/{name}/edit", response_class=HTMLResponse)
async def edit_schedule(
    request: Request,
    name: str,
    api: ApiDep,
    session: SessionDep,
    job_type: Annotated[str, Query(alias="type")] = "",
) -> HTMLResponse:
    _require(session, CHANGE_SCHEDULE, "change schedules")
    schedule = await api.schedule(name)
    form = await _form(api, job_type or str(schedule.job.get("type", "")), creating=False)
    # Another type picked ("Show fields", or htmx): what was typed; else what is stored.
    form.values = dict(request.query_params) if job_type else stored_values(schedule, form)
    return _show(request, form, name)


@router.post("/schedules/{name}/edit")
async def change_schedule(request: Request, name: str, api: ApiDep) -> Response:
    return await _save(request, api, name)


async def _answer(
    request: Request, api: ProducerApi, schedule: SchedulePublic, refused: str = ""
) -> Response:
    """The schedule's row for htmx, else back to the list; a refusal shown in the row."""
    status = 409 if refused else 200
    if is_htmx(request) and request.headers.get("HX-Target") == _row_id(schedule.name):
        context = {"s": schedule, "runs_shown": RUNS_SHOWN, "notices": {schedule.name: refused}}
        return render_part(request, "schedules/row.html", context, status)
    if refused:
        return await _page(request, api, {schedule.name: refused}, status)
    return RedirectResponse(f"/schedules#{_row_id(schedule.name)}", status_code=303)


@router.post("/schedules/{name}/enabled")
async def enable_or_disable(request: Request, name: str, api: ApiDep) -> Response:
    enabled = (await request.form()).get("enabled") == "yes"
    return await _answer(request, api, await api.change_schedule(name, {"enabled": enabled}))


@router.post("/schedules/{name}/run")
async def run_now(request: Request, name: str, api: ApiDep) -> Response:
    try:
        await api.run_schedule(name)
    except Conflict as refusal:  # its job's type was deleted
        return await _answer(request, api, await api.schedule(name), str(refusal))
    return await _answer(request, api, await api.schedule(name))


@router.post("/schedules/{name}/delete")
async def delete_schedule(name: str, api: ApiDep) -> Response:
    await api.delete_schedule(name)
    return RedirectResponse("/schedules", status_code=303)
