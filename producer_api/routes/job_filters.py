"""The GET /jobs filters as one dependency: the list and the export parse them alike."""

from typing import Annotated

from fastapi import Depends, Query

from job_contract import JobStatus
from job_contract.bounds import MAX_PRIORITY, MAX_SEARCH_CHARS, MIN_PRIORITY
from job_contract.timestamps import UtcTimestamp
from producer_api.job_listing import JobFilter
from producer_api.routes import params
from producer_api.routes.job_types import CatalogDep


async def job_filter(
    catalog: CatalogDep,
    status: Annotated[list[str] | None, Query(description="Repeat or comma-separate")] = None,
    type: Annotated[list[str] | None, Query(description="Repeat or comma-separate")] = None,
    priority: Annotated[
        list[str] | None,
        Query(description=f"{MIN_PRIORITY}–{MAX_PRIORITY}; repeat or comma-separate"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH_CHARS,
            description="An id prefix, or text anywhere in the payload",
        ),
    ] = None,
    created_after: Annotated[UtcTimestamp | None, Query(description="No zone means UTC")] = None,
    created_before: Annotated[UtcTimestamp | None, Query(description="No zone means UTC")] = None,
) -> JobFilter:
    return JobFilter(
        statuses=params.enum_list("status", status, JobStatus),
        types=params.type_list(type),
        all_types=await catalog.names(),
        priorities=params.priority_list(priority),
        q=params.search_text(q),
        created_after=created_after,
        created_before=created_before,
    )


JobFilterDep = Annotated[JobFilter, Depends(job_filter)]
