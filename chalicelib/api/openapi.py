"""`GET /v1/openapi.json`: the OpenAPI 3.1 description of the API, generated from the same
pydantic models the routes validate with and return, and from the operation declared beside each
route (chalicelib/api/operations.py), so it cannot drift from them. A test fails on a route of the
app without an operation."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.errors import ErrorOut
from chalicelib.api.http import api_view, json_response, typed
from chalicelib.api.models import OpenApiDocumentOut
from chalicelib.api.operations import SECURITY_SCHEMES, TAGS, Operation, operation, operation_of

bp = Blueprint(__name__)


def described_operations(routes: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Operation | None]:
    """Every (path, method) of Chalice's route table with the operation declared on its view."""
    return {(path, method): operation_of(entry.view_function)
            for path, methods in routes.items() for method, entry in methods.items()}


def build_document(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document of `routes` (Chalice's route table), from the operation declared on
    each view; a route without one is left out (and fails tests/functional/test_openapi.py)."""
    schemas: dict[str, Any] = {}
    _schema_ref(ErrorOut, schemas)
    paths: dict[str, Any] = {}
    for (path, method), op in sorted(described_operations(routes).items()):
        if op is not None:
            paths.setdefault(path, {})[method.lower()] = _operation(path, method, op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SEM — Plataforma de Servicios Municipales", "version": "1",
                 "description": "API pública para sitios municipales y la pasarela de pagos. Errores: "
                                "{\"error\": {code, message, field, request_id}}."},
        "tags": [{"name": name, "x-displayName": display, "description": description}
                 for name, (display, description) in TAGS.items()],
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
    }


def _schema_ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        if schemas.setdefault(name, definition) != definition:
            # Two models of one name (in different modules) would silently share one schema.
            raise ValueError(f"two different models are named {name}: rename one")
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(path: str, method: str, op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _path_params(path)]
    if op.query is not None:
        query = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, info in query.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in query.get("required", []),
                               "schema": info})
    for name, required, description in op.headers:
        parameters.append({"name": name, "in": "header", "required": required, "description": description,
                           "schema": {"type": "string"}})
    success: dict[str, Any] = {"description": "OK"}
    content: dict[str, Any] = {}
    if op.response is not None:
        content["application/json"] = {"schema": _schema_ref(op.response, schemas)}
    for media in op.media:
        content[media] = {"schema": {"type": "string"}}
    if content:
        success["content"] = content
    responses: dict[str, Any] = {str(op.success): success}
    for status, description in op.also:
        responses[str(status)] = {"description": description, **({"content": success["content"]}
                                                                  if "content" in success else {})}
    has_body = op.body is not None or "requestBody" in op.extra
    # A body in another content type is refused before the view runs (Chalice's 415, enveloped).
    for status in (*op.errors, *((415,) if has_body and 415 not in op.errors else ())):
        responses[str(status)] = {"description": "Error (envelope)", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    operation: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                                 "parameters": parameters, "responses": responses, **op.extra}
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _schema_ref(op.body, schemas)}}}
    operation["security"] = [{op.security: []}] if op.security else []
    return operation


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


_built: dict[int, dict[str, Any]] = {}


def _document(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Built once per app: the routes do not change after it is loaded."""
    if id(routes) not in _built:
        _built[id(routes)] = build_document(routes)
    return _built[id(routes)]


@bp.route("/v1/openapi.json", methods=["GET"], cors=True)
@operation("getOpenApiDocument", "Este documento", tag="platform", errors=(), response=OpenApiDocumentOut)
@api_view
def openapi() -> Response:
    return json_response(typed(OpenApiDocumentOut, _document(bp.current_app.routes)))
