"""/job-types: each type with its payload's JSON Schema (the dashboard's form follows it)."""

from fastapi import APIRouter

from job_contract.payloads import PAYLOAD_EXAMPLES, payload_json_schemas
from job_contract.producer_api import JobTypeInfo

router = APIRouter(tags=["jobs"])

_JOB_TYPES = [
    JobTypeInfo(type=job_type, payload_schema=schema, example=PAYLOAD_EXAMPLES[job_type])
    for job_type, schema in payload_json_schemas().items()
]


@router.get(
    "/job-types",
    response_model=list[JobTypeInfo],
    response_model_by_alias=True,
    summary="Job types and their payload schemas",
)
async def job_types() -> list[JobTypeInfo]:
    return _JOB_TYPES
