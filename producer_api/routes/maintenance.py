"""/maintenance/cleanup: run retention now (or count what it would delete), and its history."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from job_contract.producer_api import ErrorMessage
from job_contract.retention import CleanupOverview, CleanupResult, CleanupTrigger
from jobdeck_retention.cleaner import Cleanup, CleanupStopped
from jobdeck_retention.settings import RetentionSettings
from jobdeck_retention.store import RetentionStore
from producer_api.deps import PrincipalDep

router = APIRouter(tags=["maintenance"])

# The history the API answers with: enough for the page, bounded however long it runs.
HISTORY_LENGTH = 50


def get_retention(request: Request) -> RetentionStore:
    store: RetentionStore = request.app.state.retention
    return store


RetentionDep = Annotated[RetentionStore, Depends(get_retention)]


@router.post(
    "/maintenance/cleanup",
    response_model=CleanupResult,
    responses={503: {"model": ErrorMessage, "description": "It stopped half-way (recorded)"}},
    summary="Run retention now",
)
async def run_cleanup(
    request: Request,
    store: RetentionDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description="only count what would be deleted")] = False,
) -> CleanupResult:
    """Deletes every finished job older than its status's `RETAIN_*_DAYS` (appending it to
    `ARCHIVE_DIR` first, when set), in batches; the run joins the history. Takes as long as
    the deleting does: for a first run over a large table, prefer `jobdeck cleanup`."""
    settings: RetentionSettings = request.app.state.settings
    try:
        run = await Cleanup(store, settings).run(
            CleanupTrigger.API, principal.name, dry_run=dry_run
        )
    except CleanupStopped as stopped:
        raise HTTPException(503, str(stopped)) from stopped
    return CleanupResult(dry_run=run.dry_run, deleted=run.deleted, archived_to=run.archived_to)


@router.get(
    "/maintenance/cleanup",
    response_model=CleanupOverview,
    summary="Cleanup history, retention settings and table sizes",
)
async def cleanup_history(request: Request, store: RetentionDep) -> CleanupOverview:
    """`runs`: the latest cleanup runs, newest first. `policy`: the retention settings in
    force. `tables`: the size of the tables a job's rows live in, from PostgreSQL's catalog."""
    settings: RetentionSettings = request.app.state.settings
    return CleanupOverview(
        runs=await store.history(HISTORY_LENGTH),
        policy=settings.retention_policy(),
        tables=await store.table_sizes(),
    )
