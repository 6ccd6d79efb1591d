"""The access table, written into an OpenAPI document: Swagger UI's Authorize button, and
each operation's roles in its description."""

from collections.abc import Mapping
from typing import Any

from jobdeck_access.roles import Access, Route, describe

SCHEME = "bearer"


def document_access(document: dict[str, Any], table: Mapping[Route, Access]) -> dict[str, Any]:
    """Add the bearer scheme and, per operation, its security and who may call it."""
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
    return document
