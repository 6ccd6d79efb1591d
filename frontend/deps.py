"""FastAPI dependencies, as Annotated aliases the routes use directly."""

from typing import Annotated

from fastapi import Depends, Request

from frontend.client import ProducerApi, WorkerService
from frontend.require_session import session_of
from frontend.session import Session


def get_session(request: Request) -> Session:
    return session_of(request)


SessionDep = Annotated[Session, Depends(get_session)]


def get_api(request: Request, session: SessionDep) -> ProducerApi:
    """The producer API, asked as the signed-in person: the API enforces their role."""
    api: ProducerApi = request.app.state.api
    return api.signed_in(session.token)


def get_worker_service(request: Request, session: SessionDep) -> WorkerService:
    workers: WorkerService = request.app.state.worker_service
    return workers.signed_in(session.token)


ApiDep = Annotated[ProducerApi, Depends(get_api)]
WorkerServiceDep = Annotated[WorkerService, Depends(get_worker_service)]
