"""/maintenance: retention settings, table sizes, a dry-run preview, run now, the history; and
the export download, by finish day here or with a /jobs view's filters ("Export these").

Without JavaScript every step is a form: *Preview* posts a dry run and shows what would go;
the confirmation under it posts the real run. Through htmx the same forms swap the page's
`main` (hx-boost), like every other page.
"""

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from frontend.deps import ApiDep
from frontend.templating import is_htmx, render
from job_contract.retention import CleanupResult

router = APIRouter()

# The /jobs filters the export takes (the others, sorting and paging, mean nothing to it).
EXPORT_FILTERS = ("status", "type", "priority", "q", "created_after", "created_before", "date")


async def _page(
    request: Request,
    api: ApiDep,
    preview: CleanupResult | None = None,
    done: CleanupResult | None = None,
) -> HTMLResponse:
    overview = await api.cleanup_overview()
    context = {"overview": overview, "preview": preview, "done": done}
    # After a post the address bar says /maintenance: reloading must not post again.
    headers = {"HX-Push-Url": "/maintenance"} if request.method == "POST" else None
    return render(request, "maintenance.html", context, headers=headers)


@router.get("/maintenance", response_class=HTMLResponse)
async def maintenance(request: Request, api: ApiDep) -> HTMLResponse:
    return await _page(request, api)


@router.post("/maintenance/preview", response_class=HTMLResponse)
async def preview(request: Request, api: ApiDep) -> HTMLResponse:
    return await _page(request, api, preview=await api.run_cleanup(dry_run=True))


@router.post("/maintenance/cleanup", response_class=HTMLResponse)
async def clean_up(request: Request, api: ApiDep) -> Response:
    done = await api.run_cleanup(dry_run=False)
    if not is_htmx(request):
        # Post, redirect, get: the history's newest row is this run.
        return RedirectResponse("/maintenance#history", status_code=303)
    return await _page(request, api, done=done)


@router.get("/exports/jobs.ndjson")
async def export(request: Request, api: ApiDep) -> StreamingResponse:
    params = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name in EXPORT_FILTERS and value
    ]
    day = request.query_params.get("date")
    name = f"jobs-{day}.ndjson" if day else "jobs.ndjson"
    opened = contextlib.AsyncExitStack()
    # Opened here, so a refusal (403, 422) becomes its page before any byte is sent.
    response = await opened.enter_async_context(api.export(params))

    async def body() -> AsyncIterator[bytes]:
        async with opened:
            async for chunk in response.aiter_raw():
                yield chunk

    return StreamingResponse(
        body(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
