"""/workers: the runners the worker service knows, with their heartbeat age."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from frontend.deps import WorkerServiceDep
from frontend.templating import render

router = APIRouter()


@router.get("/workers", response_class=HTMLResponse)
async def workers(request: Request, worker_service: WorkerServiceDep) -> HTMLResponse:
    return render(request, "workers.html", {"runners": await worker_service.runners()})
