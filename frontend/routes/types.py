"""/types: every job type with its queue and controls; operators pause, resume and change
limits in place, admins register custom types (with a preview of their form) and delete
unused ones.

Each form posts and redirects without JavaScript; through htmx the pause and limits forms
swap just their type's row, so the rest of the page (and anything typed there) stays.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from frontend.client import Conflict, InvalidRequest, ProducerApi
from frontend.deps import ApiDep
from frontend.schema_form import FormItem
from frontend.templating import is_htmx, render, render_part
from frontend.type_activity import recent_outcomes
from frontend.type_controls import (
    REGISTER_FIELDS,
    FormState,
    RowState,
    limit_errors,
    limit_fields,
    limit_form,
    limits_change,
    limits_summary,
    preview_fields,
    read_registration,
    read_schema,
    registration_errors,
)
from job_contract.job_types import JobTypeInfo

router = APIRouter()

# What a row's template calls, whether it is drawn in the page or alone.
_ROW_HELPERS = {
    "limit_fields": limit_fields,
    "limit_form": limit_form,
    "limits_summary": limits_summary,
}


@dataclass(frozen=True)
class Preview:
    """The new-job form a pasted schema gives, or what stops it being read."""

    fields: list[FormItem]
    problem: str = ""
    form: FormState = field(default_factory=FormState)

    @classmethod
    def of(cls, text: str) -> "Preview":
        schema, problem = read_schema(text)
        return cls(preview_fields(schema) if schema is not None else [], problem)


def _row_id(name: str) -> str:
    return f"type-{name}"


async def _page(
    request: Request,
    api: ProducerApi,
    status_code: int = 200,
    rows: Mapping[str, RowState] | None = None,
    register: FormState | None = None,
    preview: Preview | None = None,
) -> HTMLResponse:
    types = await api.job_types()
    outcomes = await recent_outcomes(api, [t.name for t in types])
    context: dict[str, Any] = {
        **_ROW_HELPERS,
        "types": types,
        "outcomes": outcomes,
        "rows": rows or {},
        "register": register or FormState(),
        "register_fields": REGISTER_FIELDS,
        "preview": preview,
    }
    return render(request, "types/page.html", context, status_code)


@router.get("/types", response_class=HTMLResponse)
async def types_page(request: Request, api: ApiDep) -> HTMLResponse:
    return await _page(request, api)


def _swaps_row(request: Request, name: str) -> bool:
    return is_htmx(request) and request.headers.get("HX-Target") == _row_id(name)


async def _row(
    request: Request, api: ProducerApi, job_type: JobTypeInfo, state: RowState, status: int
) -> HTMLResponse:
    outcomes = await recent_outcomes(api, [job_type.name])
    context = {**_ROW_HELPERS, "t": job_type, "outcome": outcomes[job_type.name], "state": state}
    return render_part(request, "types/row.html", context, status)


async def _answer(
    request: Request,
    api: ProducerApi,
    name: str,
    changed: JobTypeInfo | None,
    state: RowState,
    status: int,
) -> Response:
    """The type's row for htmx, else the page: redirected to after a change, shown again
    (with the row's problems) after a refusal."""
    if _swaps_row(request, name):
        job_type = changed or next((t for t in await api.job_types() if t.name == name), None)
        if job_type is not None:
            return await _row(request, api, job_type, state, status)
    if changed is not None:
        return RedirectResponse(f"/types#{_row_id(name)}", status_code=303)
    return await _page(request, api, status, rows={name: state})


@router.post("/types/{name}/pause")
async def pause_or_resume(request: Request, name: str, api: ApiDep) -> Response:
    paused = (await request.form()).get("paused") == "yes"
    changed = await api.change_job_type(name, {"paused": paused})
    return await _answer(request, api, name, changed, RowState(), 200)


@router.post("/types/{name}/limits")
async def change_limits(request: Request, name: str, api: ApiDep) -> Response:
    submitted = {key: str(value) for key, value in (await request.form()).items()}
    body, problems = limits_change(submitted)
    try:
        if problems:
            raise InvalidRequest([])
        changed = await api.change_job_type(name, body)
    except InvalidRequest as invalid:
        state = RowState(values=submitted, errors={**limit_errors(invalid.errors), **problems})
        return await _answer(request, api, name, None, state, 422)
    return await _answer(request, api, name, changed, RowState(), 200)


@router.post("/types/{name}/delete")
async def delete_type(request: Request, name: str, api: ApiDep) -> Response:
    try:
        await api.delete_job_type(name)
    except Conflict as refusal:
        return await _page(request, api, 409, rows={name: RowState(notice=str(refusal))})
    return RedirectResponse("/types", status_code=303)


@router.post("/types/register")
async def register_type(request: Request, api: ApiDep) -> Response:
    submitted = {key: str(value) for key, value in (await request.form()).items()}
    registration = read_registration(submitted)
    errors = dict(registration.errors)
    if not errors and registration.schema is not None:
        try:
            await api.register_job_type(
                registration.name, registration.schema, registration.description
            )
        except InvalidRequest as invalid:
            errors = registration_errors(invalid.errors)
        except Conflict as refusal:
            errors = {"name": str(refusal)}
        else:
            return RedirectResponse(f"/types#{_row_id(registration.name)}", status_code=303)
    state = FormState(values=submitted, errors=errors or {"form": "The API refused the type."})
    preview = Preview.of(submitted.get("schema", ""))
    return await _page(request, api, 422, register=state, preview=preview)


@router.post("/types/preview", response_class=HTMLResponse)
async def preview_form(request: Request, api: ApiDep) -> HTMLResponse:
    """The form /jobs/new would build from the pasted schema: the part alone for htmx, else
    the page with the register form as it was typed."""
    submitted = {key: str(value) for key, value in (await request.form()).items()}
    preview = Preview.of(submitted.get("schema", ""))
    if is_htmx(request) and request.headers.get("HX-Target") == "schema-preview":
        return render_part(request, "types/preview.html", {"preview": preview})
    return await _page(request, api, register=FormState(values=submitted), preview=preview)
