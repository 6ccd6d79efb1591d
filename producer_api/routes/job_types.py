"""/job-types: each type with its payload's JSON Schema (the dashboard's form follows it), its
controls, and how many of its jobs wait and run."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from job_contract.job_types import JobTypeList
from producer_api.job_type_store import JobTypeStore

router = APIRouter(tags=["job types"])


def get_job_types(request: Request) -> JobTypeStore:
    job_types: JobTypeStore = request.app.state.job_types
    return job_types


JobTypesDep = Annotated[JobTypeStore, Depends(get_job_types)]


@router.get(
    "/job-types",
    response_model=JobTypeList,
    response_model_by_alias=True,
    summary="Job types: payload schemas, controls, pending and processing counts",
)
async def list_job_types(job_types: JobTypesDep) -> JobTypeList:
    return JobTypeList(types=await job_types.list())
