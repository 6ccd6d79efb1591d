"""/jobs/{id}/deliveries: a job's callback deliveries, and sending its outcome again;
/alerts: the last alerts the worker services raised."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from job_contract.callbacks import AlertList, DeliveryList, RedeliveryQueued
from job_contract.producer_api import ErrorMessage
from producer_api.callback_records import CallbackRecords

router = APIRouter(tags=["callbacks"])

MAX_ALERTS_LISTED = 200


def get_records(request: Request) -> CallbackRecords:
    records: CallbackRecords = request.app.state.callback_records
    return records


RecordsDep = Annotated[CallbackRecords, Depends(get_records)]


@router.get(
    "/jobs/{job_id}/deliveries",
    response_model=DeliveryList,
    responses={404: {"model": ErrorMessage, "description": "No job with that id"}},
    summary="A job's callback deliveries and each try",
)
async def list_deliveries(job_id: UUID, records: RecordsDep) -> DeliveryList:
    return DeliveryList(deliveries=await records.deliveries(job_id))


@router.post(
    "/jobs/{job_id}/deliveries",
    status_code=202,
    response_model=RedeliveryQueued,
    responses={
        404: {"model": ErrorMessage, "description": "No job with that id"},
        409: {"model": ErrorMessage, "description": "Not finished, or no callback_url"},
    },
    summary="Send a finished job's outcome to its callback_url again",
    description="Queues a new delivery (a new `webhook-id`) of the outcome its last delivery"
    " told; a worker service sends it within a second or so.",
)
async def redeliver(job_id: UUID, records: RecordsDep) -> RedeliveryQueued:
    return RedeliveryQueued(delivery=await records.redeliver(job_id))


@router.get("/alerts", response_model=AlertList, summary="The last alerts, newest first")
async def list_alerts(
    records: RecordsDep, limit: Annotated[int, Query(ge=1, le=MAX_ALERTS_LISTED)] = 20
) -> dict[str, object]:
    return {"alerts": await records.recent_alerts(limit)}
