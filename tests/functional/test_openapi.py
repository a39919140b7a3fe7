"""The OpenAPI document is generated from the routes' models and describes every route."""

from __future__ import annotations

import json

from chalicelib.api.openapi import EXTRA_OPERATIONS, OPERATIONS


def test_every_route_of_the_app_is_described():
    from app import app

    described = set(OPERATIONS) | set(EXTRA_OPERATIONS)
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert routes - described == set()


def test_the_document_is_served_and_uses_the_request_models(client):
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.body)
    assert doc["openapi"].startswith("3.1")
    payments = doc["paths"]["/v1/municipalities/{code}/payments"]["post"]
    headers = {p["name"] for p in payments["parameters"] if p["in"] == "header"}
    assert {"Idempotency-Key", "X-Api-Key"} <= headers
    schema_name = payments["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = doc["components"]["schemas"][schema_name]
    assert set(schema["required"]) == {"items", "payer", "return_url"}
    assert "409" in payments["responses"]
    notifications = doc["paths"]["/v1/gateways/tgr/notifications"]["post"]
    assert any(p["name"] == "X-TGR-Signature" for p in notifications["parameters"])
