"""FastAPI dependencies, as Annotated aliases the routes use directly."""

from typing import Annotated

from fastapi import Depends, Request

from frontend.client import ProducerApi, WorkerService


def get_api(request: Request) -> ProducerApi:
    api: ProducerApi = request.app.state.api
    return api


def get_worker_service(request: Request) -> WorkerService:
    workers: WorkerService = request.app.state.worker_service
    return workers


ApiDep = Annotated[ProducerApi, Depends(get_api)]
WorkerServiceDep = Annotated[WorkerService, Depends(get_worker_service)]
