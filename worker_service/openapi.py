"""The worker protocol as an OpenAPI 3.1 document: enough to write a runner in any language.

Every schema in it is generated from the models the service parses and answers with
(job_contract's, through pydantic's TypeAdapter), so the document cannot drift from the code;
who may call each operation comes from jobdeck_access's table. Served at /openapi.json.
"""

from typing import Any

from pydantic import BaseModel, TypeAdapter

from jobdeck_access import roles
from jobdeck_access.openapi import document_access
from worker_service.openapi_operations import (
    COMMA_SEPARATED,
    DESCRIPTION,
    OPERATIONS,
    PATH_PARAMETERS,
    TAGS,
    TITLE,
    Answer,
    Operation,
    example,
)

REF_TEMPLATE = "#/components/schemas/{model}"


def openapi_document() -> dict[str, Any]:
    """The whole document: paths, the models' schemas under components, and access."""
    inputs: list[tuple[tuple[str, int | str], Any, TypeAdapter[Any]]] = []
    for operation in OPERATIONS:
        if operation.body is not None:
            inputs.append(
                ((operation.operation_id, "body"), "validation", TypeAdapter(operation.body))
            )
        for status, answer in operation.answers.items():
            if answer.model is not None and answer.media_type == "application/json":
                key = (operation.operation_id, status)
                inputs.append((key, "serialization", TypeAdapter(answer.model)))
    schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
    by_operation: dict[str, dict[int | str, Any]] = {}
    for ((operation_id, slot), _mode), schema in schemas.items():
        by_operation.setdefault(operation_id, {})[slot] = schema
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        documented = _operation(operation, by_operation.get(operation.operation_id, {}))
        paths.setdefault(operation.path, {})[operation.method.lower()] = documented
    document = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "0.1.0", "description": DESCRIPTION},
        "tags": TAGS,
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {})},
    }
    return document_access(document, roles.WORKER_SERVICE)


def _operation(operation: Operation, schemas: dict[int | str, Any]) -> dict[str, Any]:
    documented: dict[str, Any] = {
        "operationId": operation.operation_id,
        "tags": [operation.tag],
        "summary": operation.summary,
    }
    if operation.description:
        documented["description"] = operation.description
    parameters = _path_parameters(operation.path)
    if operation.query is not None:
        parameters += _query_parameters(operation.query)
    if parameters:
        documented["parameters"] = parameters
    if operation.body is not None:
        content: dict[str, Any] = {"schema": schemas["body"]}
        if operation.body_example is not None:
            content["example"] = example(operation.body_example)
        # A body whose every field has a default may be left out: `{}` is what it means.
        required = bool(operation.body.model_json_schema().get("required"))
        documented["requestBody"] = {
            "required": required,
            "content": {"application/json": content},
        }
    elif operation.raw_body:
        documented["requestBody"] = {
            "required": True,
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in operation.raw_body
            },
        }
    documented["responses"] = {
        str(status): _response(answer, schemas.get(status))
        for status, answer in sorted(operation.answers.items())
    }
    return documented


def _response(answer: Answer, schema: Any) -> dict[str, Any]:
    response: dict[str, Any] = {"description": answer.description}
    if answer.model is None:
        return response
    if answer.media_type != "application/json":
        response["content"] = {answer.media_type: {"schema": {"type": "string"}}}
        return response
    content: dict[str, Any] = {"schema": schema}
    if answer.example is not None:
        content["example"] = answer.example
    response["content"] = {"application/json": content}
    return response


def _path_parameters(path: str) -> list[dict[str, Any]]:
    parameters = []
    for name, (annotation, description) in PATH_PARAMETERS.items():
        if f"{{{name}}}" in path:
            schema = TypeAdapter(annotation).json_schema(ref_template=REF_TEMPLATE)
            parameters.append(
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "description": description,
                    "schema": schema,
                }
            )
    return parameters


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A model of query parameters, one parameter per field. An optional parameter is one a
    client leaves out: its schema drops the `null` pydantic allows for the default."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema = dict(field_schema)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        description = field_schema.pop("description", None)
        if description:
            parameter["description"] = description
        if name in COMMA_SEPARATED:
            items = TypeAdapter(COMMA_SEPARATED[name]).json_schema(ref_template=REF_TEMPLATE)
            field_schema = {"type": "array", "items": items}
            parameter |= {"style": "form", "explode": False}
        alternatives = [a for a in field_schema.pop("anyOf", []) if a != {"type": "null"}]
        if len(alternatives) == 1:
            field_schema |= alternatives[0]
        elif alternatives:
            field_schema["anyOf"] = alternatives
        if "default" in field_schema and field_schema["default"] is None:
            del field_schema["default"]
        parameters.append(parameter | {"schema": field_schema})
    return parameters


if __name__ == "__main__":
    # `python -m worker_service.openapi`: the document without starting a server, from which
    # clients/typescript's protocol types are generated (`make ts-protocol`).
    import json
    import sys

    json.dump(openapi_document(), sys.stdout, indent=2)
    sys.stdout.write("\n")
