"""FastAPI dependencies, as Annotated aliases routes can use directly."""

from typing import Annotated

from fastapi import Depends, Request

from jobdeck_access.middleware import principal_of
from jobdeck_access.store import TokenStore
from jobdeck_access.tokens import Principal
from producer_api.store import JobStore


def get_store(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


StoreDep = Annotated[JobStore, Depends(get_store)]


def get_tokens(request: Request) -> TokenStore:
    tokens: TokenStore = request.app.state.tokens
    return tokens


def get_principal(request: Request) -> Principal:
    """Who the request acts as (RequireToken admitted it)."""
    return principal_of(request.scope)


TokensDep = Annotated[TokenStore, Depends(get_tokens)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
