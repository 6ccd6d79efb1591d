"""The door protect() puts in front of an API, written into its OpenAPI document: the bearer
scheme (Swagger UI's Authorize button), each operation's roles in its description, and the
refusals the door may answer in the app's place (401, 403; 413 and 415 for bodies)."""

from collections.abc import Mapping
from typing import Any

from job_contract.producer_api import ErrorMessage
from jobdeck_access.roles import Access, Route, describe

SCHEME = "bearer"


def _refusal(description: str, **extra: Any) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{ErrorMessage.__name__}"}
    return {
        "description": description,
        **extra,
        "content": {"application/json": {"schema": schema}},
    }


_NO_TOKEN = _refusal(
    "No token, or an unknown, expired or revoked one",
    headers={"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
)
_FORBIDDEN = _refusal("The token's role may not call this, or a browser sent it cross-site")
_TOO_LARGE = _refusal("The body is over the limit (MAX_BODY_BYTES)")
_NOT_JSON = _refusal("The body is not JSON: send `Content-Type: application/json`")


def document_access(document: dict[str, Any], table: Mapping[Route, Access]) -> dict[str, Any]:
    """Add the bearer scheme and, per operation, its security, who may call it, and how the
    door refuses a request before the app sees it."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`jobdeck tokens create`), sent as `Authorization: Bearer …`",
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            # A route the table forgot is open to no one, and documented so.
            access = table.get((method.upper(), path), frozenset())
            operation["security"] = [] if access is None else [{SCHEME: []}]
            note = f"**Access**: {describe(access)}."
            description = operation.get("description")
            operation["description"] = f"{description}\n\n{note}" if description else note
            refusals = _refusals(operation, access)
            for status, refusal in refusals.items():
                operation.setdefault("responses", {}).setdefault(status, refusal)
            if refusals:
                components.setdefault("schemas", {}).setdefault(
                    ErrorMessage.__name__, ErrorMessage.model_json_schema()
                )
    return document


def _refusals(operation: dict[str, Any], access: Access) -> dict[str, dict[str, Any]]:
    refusals = {} if access is None else {"401": _NO_TOKEN, "403": _FORBIDDEN}
    body = operation.get("requestBody")
    if body is not None:
        refusals["413"] = _TOO_LARGE
        if "application/json" in body.get("content", {}):
            refusals["415"] = _NOT_JSON
    return refusals
