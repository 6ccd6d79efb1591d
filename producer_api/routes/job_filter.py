"""The GET /jobs filters, read once: from a query string (GET /jobs, the NDJSON export) or
from a body's `filter` (POST /jobs/bulk), into the one JobFilter that job_listing.py turns
into SQL.

A filter added to JobFilterFields and JobFilter reaches the list, the export and the bulk
action alike.
"""

from typing import Annotated

from fastapi import Depends, Query

from job_contract import JobStatus
from producer_api.job_listing import JobFilter
from producer_api.job_type_catalog import JobTypeCatalog
from producer_api.models import JobFilterFields
from producer_api.routes import params
from producer_api.routes.job_types import CatalogDep


async def job_filter(
    fields: JobFilterFields, catalog: JobTypeCatalog, where: params.Where = params.QUERY
) -> JobFilter:
    """The filter the fields describe; a value it cannot take is refused at `where`."""
    return JobFilter(
        statuses=params.enum_list("status", fields.status, JobStatus, where),
        types=params.type_list(fields.type, where),
        all_types=await catalog.names(),
        priorities=params.priority_list(fields.priority, where),
        q=params.search_text(fields.q, where),
        created_after=fields.created_after,
        created_before=fields.created_before,
        callback_failed=fields.callback == "failed",
        error_group=fields.error_group,
        schedule=fields.schedule,
    )


async def query_job_filter(
    fields: Annotated[JobFilterFields, Query()], catalog: CatalogDep
) -> JobFilter:
    """The filter of a query string: GET /jobs and the export read it alike."""
    return await job_filter(fields, catalog)


JobFilterDep = Annotated[JobFilter, Depends(query_job_filter)]
