"""/job-types: each type with its payload's JSON Schema (the dashboard's form follows it), its
controls, and how many of its jobs wait and run; registering, changing and deleting types."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError

from job_contract.job_types import (
    JOB_TYPE_NAME_PATTERN,
    JobTypeControlsChange,
    JobTypeInfo,
    JobTypeList,
    JobTypeRegistration,
)
from job_contract.producer_api import ErrorMessage
from producer_api.job_type_catalog import JobTypeCatalog
from producer_api.job_type_store import JobTypeStore
from producer_api.payload_schemas import SchemaRefused, compile_schema

router = APIRouter(tags=["job types"])


def get_job_types(request: Request) -> JobTypeStore:
    job_types: JobTypeStore = request.app.state.job_types
    return job_types


def get_catalog(request: Request) -> JobTypeCatalog:
    catalog: JobTypeCatalog = request.app.state.catalog
    return catalog


JobTypesDep = Annotated[JobTypeStore, Depends(get_job_types)]
CatalogDep = Annotated[JobTypeCatalog, Depends(get_catalog)]
TypeName = Annotated[
    str,
    Path(
        pattern=JOB_TYPE_NAME_PATTERN,
        description="A lower-case letter, then letters, digits or _ (63 at most)",
        examples=["resize_image"],
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No job type of that name"}
}


@router.get(
    "/job-types",
    response_model=JobTypeList,
    response_model_by_alias=True,
    summary="Job types: payload schemas, controls, pending and processing counts",
)
async def list_job_types(job_types: JobTypesDep) -> JobTypeList:
    return JobTypeList(types=await job_types.list())


@router.put(
    "/job-types/{name}",
    response_model=JobTypeInfo,
    response_model_by_alias=True,
    status_code=201,
    responses={
        200: {"model": JobTypeInfo, "description": "An existing custom type, replaced"},
        409: {"model": ErrorMessage, "description": "The name is a built-in type's"},
    },
    summary="Register a custom job type, or replace its schema and description",
    description='The schema is a JSON Schema (draft 2020-12) of the payload, `"type":'
    ' "object"` at its top; `$ref`s may only point inside it. Its controls are kept when it'
    " is replaced.",
)
async def register_job_type(
    name: TypeName,
    registration: JobTypeRegistration,
    job_types: JobTypesDep,
    catalog: CatalogDep,
    response: Response,
) -> JobTypeInfo:
    try:
        compile_schema(registration.payload_schema)
    except SchemaRefused as refused:
        raise RequestValidationError(
            [problem.as_error(("body", "schema")) for problem in refused.problems]
        ) from None
    info, created = await job_types.register(name, registration)
    catalog.invalidate()
    if not created:
        response.status_code = 200
    return info


@router.patch(
    "/job-types/{name}",
    response_model=JobTypeInfo,
    response_model_by_alias=True,
    responses=NOT_FOUND,
    summary="Change a type's controls: only those sent change; null lifts a limit",
)
async def change_job_type(
    name: TypeName, change: JobTypeControlsChange, job_types: JobTypesDep, catalog: CatalogDep
) -> JobTypeInfo:
    info = await job_types.change_controls(name, change)
    catalog.invalidate()
    return info


@router.delete(
    "/job-types/{name}",
    status_code=204,
    response_class=Response,
    responses={
        **NOT_FOUND,
        409: {
            "model": ErrorMessage,
            "description": "A built-in, or it has jobs pending or running",
        },
    },
    summary="Delete a custom type that has no pending or processing jobs",
    description="Its finished jobs stay, and keep its name; a later PUT registers it again.",
)
async def delete_job_type(name: TypeName, job_types: JobTypesDep, catalog: CatalogDep) -> Response:
    await job_types.retire(name)
    catalog.invalidate()
    return Response(status_code=204)
