"""/analytics: per-type outcomes and timings, error groups with whole-group actions, and
the weekday × hour heatmap; filterable by window and type, refreshed while visible."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import QueryParams

from frontend.analytics_view import GROUP_ACTIONS, GroupPanel, charts, heat_level
from frontend.bulk_actions import BULK_WORDING
from frontend.client import NotFound, ProducerApi
from frontend.deps import ApiDep
from frontend.routes.dashboard import chosen_window
from frontend.templating import render
from job_contract.analytics import ERROR_GROUP_PATTERN
from job_contract.bounds import DEFAULT_STATS_WINDOW, STATS_WINDOWS, StatsWindowName

router = APIRouter()


async def _page(
    request: Request,
    api: ProducerApi,
    window: StatsWindowName,
    asked_types: list[str],
    panel: GroupPanel | None = None,
) -> HTMLResponse:
    names = [job_type.name for job_type in await api.job_types()]
    # Forgiving, as the job list is: a type that is gone (an old link) is dropped.
    types = [name for name in dict.fromkeys(asked_types) if name in names]
    analytics = await api.analytics(window, types)
    busiest = max((jobs for row in analytics.by_hour for jobs in row.hours), default=0)
    query = str(QueryParams([("window", window), *(("type", name) for name in types)]))
    context: dict[str, Any] = {
        "window": window,
        "windows": STATS_WINDOWS,
        "type_names": names,
        "chosen_types": types,
        "query": query,
        "analytics": analytics,
        "charts": charts(analytics),
        "heat": {
            (row.weekday, hour): heat_level(jobs, busiest)
            for row in analytics.by_hour
            for hour, jobs in enumerate(row.hours)
        },
        "group_actions": {action: BULK_WORDING[action] for action in GROUP_ACTIONS},
        "panel": panel,
    }
    return render(request, "analytics.html", context)


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_page(
    request: Request,
    api: ApiDep,
    window: str = DEFAULT_STATS_WINDOW,
    type: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    return await _page(request, api, chosen_window(window), type or [])


@router.post("/analytics/groups/{group}", response_class=HTMLResponse)
async def group_action(request: Request, group: str, api: ApiDep) -> HTMLResponse:
    """First post: the dry run's count and a question. Second (confirmed=yes): act, and show
    what was done. Either way the answer is the page the form came from, with or without JS."""
    if not re.fullmatch(ERROR_GROUP_PATTERN, group):
        raise NotFound(f"error group {group} not found")
    form = await request.form()
    back = QueryParams(str(form.get("page_query", "")))
    window, types = chosen_window(back.get("window", "")), back.getlist("type")
    action = next((a for a in GROUP_ACTIONS if a.value == form.get("action")), None)
    if action is None:
        raise NotFound(f"no such action on an error group: {form.get('action')}")
    where = {"error_group": group}
    if form.get("confirmed") != "yes":
        preview = await api.bulk_matching(action, where, dry_run=True)
        panel = GroupPanel(group, action, preview=preview)
    else:
        outcome = await api.bulk_matching(action, where, dry_run=False)
        panel = GroupPanel(group, action, outcome=outcome)
    return await _page(request, api, window, types, panel)
