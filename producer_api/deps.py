"""FastAPI dependencies, as Annotated aliases routes can use directly."""

from typing import Annotated

from fastapi import Depends, Request

from producer_api.store import JobStore


def get_store(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


StoreDep = Annotated[JobStore, Depends(get_store)]
