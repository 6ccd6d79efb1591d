"""/tokens (admins manage API tokens) and /me (any token: who am I?)."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from job_contract.producer_api import ErrorMessage, Me, TokenCreate, TokenCreated, TokenList
from producer_api.deps import PrincipalDep, TokensDep

router = APIRouter(tags=["access"])


@router.get("/tokens", response_model=TokenList, summary="Every API token (never its secret)")
async def list_tokens(tokens: TokensDep) -> dict[str, Any]:
    return {"tokens": await tokens.list()}


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreated,
    responses={409: {"model": ErrorMessage, "description": "The name is taken"}},
    summary="Create a token; its secret is in this answer only",
)
async def create_token(request: TokenCreate, tokens: TokensDep) -> dict[str, Any]:
    info, secret = await tokens.create(request.name, request.role, request.expires_in_days)
    return {**info.model_dump(), "token": secret}


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    responses={404: {"model": ErrorMessage, "description": "No token with that id"}},
    summary="Revoke a token",
)
async def revoke_token(token_id: UUID, tokens: TokensDep) -> Response:
    await tokens.revoke(token_id)
    return Response(status_code=204)


@router.get("/me", response_model=Me, summary="The token this request carries: name and role")
async def me(principal: PrincipalDep) -> Me:
    return Me(name=principal.name, role=principal.role, expires_at=principal.expires_at)
