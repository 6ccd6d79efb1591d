"""/jobs/new: pick a type, fill the fields its payload schema asks for, create the job."""

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from frontend.client import Conflict, Forbidden, InvalidRequest, ProducerApi
from frontend.deps import ApiDep, SessionDep
from frontend.job_form import (
    JOB_FIELDS,
    JobForm,
    field_errors,
    job_request,
    new_idempotency_key,
)
from frontend.permissions import CREATE_JOB, may, needed_for
from frontend.templating import render

router = APIRouter()

ALREADY_USED = (
    "This form already created a job with other values. "
    "Submit again to create another job with these."
)


async def _form(api: ProducerApi, requested_type: str) -> JobForm:
    return JobForm.for_type(await api.job_types(), requested_type)


# The form makes UUIDs; an edited key must still be sendable as a header (not "報告", no
# newline) and well within the API's bound, else the form makes a new one.
_SENDABLE_KEY = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def _idempotency_key(submitted: str | None) -> str:
    if submitted and _SENDABLE_KEY.fullmatch(submitted):
        return submitted
    return new_idempotency_key()


@router.get("/jobs/new", response_class=HTMLResponse)
async def new_job(
    request: Request,
    api: ApiDep,
    session: SessionDep,
    job_type: Annotated[str, Query(alias="type")] = "",
) -> HTMLResponse:
    if not may(session.role, CREATE_JOB):
        # A form this role could never send: say so now, not after it is filled in.
        raise Forbidden(
            f"role {session.role} may not create jobs; it needs {needed_for(CREATE_JOB)}"
        )
    form = await _form(api, job_type)
    form.values = dict(request.query_params)  # "Show fields" without JavaScript keeps values
    return render(request, "jobs/new.html", {"form": form, "job_fields": JOB_FIELDS})


@router.post("/jobs/new")
async def create_job(request: Request, api: ApiDep) -> Response:
    submitted = {name: str(value) for name, value in (await request.form()).items()}
    form = await _form(api, submitted.get("type", ""))
    form.values = submitted
    form.idempotency_key = _idempotency_key(submitted.get("idempotency_key"))
    body, problems = job_request(form.job_type, form.fields, submitted)
    try:
        job = await api.create_job(body, form.idempotency_key)
    except InvalidRequest as invalid:
        # What the form could not read says more than the API's "not an integer".
        form.errors = {**field_errors(form.job_type, invalid.errors, form.names), **problems}
    except Conflict:
        # The same form was sent before with other values (back button, edits, submit).
        form.errors = {"form": ALREADY_USED}
        form.idempotency_key = new_idempotency_key()
    else:
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    # The form stays where it is: the address bar must not show the POST's URL.
    context = {"form": form, "job_fields": JOB_FIELDS}
    return render(request, "jobs/new.html", context, 422, {"HX-Push-Url": "false"})
