"""The OpenAPI document is built from the operation declared beside each route and from the
pydantic models the routes validate with and return; it describes every route."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from chalicelib.api.openapi import build_document, described_operations
from chalicelib.api.operations import TAGS


def _app_routes():
    from app import app

    return app.routes


def test_every_route_of_the_app_declares_an_operation():
    undeclared = [key for key, op in described_operations(_app_routes()).items() if op is None]
    assert undeclared == []


def test_a_route_without_an_operation_is_caught():
    from chalice.app import Chalice

    bare = Chalice(app_name="bare")

    @bare.route("/v1/undeclared")
    def undeclared() -> dict[str, str]:
        return {}

    assert described_operations(bare.routes) == {("/v1/undeclared", "GET"): None}


def test_operation_ids_are_unique_camel_case_english():
    ids = [op.operation_id for op in described_operations(_app_routes()).values() if op]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]*", i) and i.isascii() for i in ids)


def test_the_document_is_valid_openapi_with_ascii_tags_and_security_schemes():
    doc = build_document(_app_routes())
    validate(doc)
    assert all(tag["name"].isascii() and tag["x-displayName"] for tag in doc["tags"])
    used = {tag for item in doc["paths"].values() for op in item.values() for tag in op["tags"]}
    assert used <= set(TAGS)
    assert doc["components"]["securitySchemes"]["portalKey"] == {
        "type": "apiKey", "in": "header", "name": "X-Api-Key", "description": doc["components"]["securitySchemes"][
            "portalKey"]["description"]}
    assert doc["components"]["securitySchemes"]["paymentToken"]["scheme"] == "bearer"
    assert doc["components"]["securitySchemes"]["officialToken"]["bearerFormat"] == "JWT"
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert all(p["name"] not in ("X-Api-Key", "Authorization") for p in op["parameters"]), (path, method)
            if path.startswith("/v1/admin/"):
                assert op["security"] == [{"officialToken": []}], (path, method)
            for status, answer in op["responses"].items():
                if int(status) >= 400 and path != "/v1/health":  # its 503 is the report, degraded
                    assert answer["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOut"}, (path, method, status)


def test_the_public_contract_types_every_success_and_carries_examples():
    doc = build_document(_app_routes())
    public = {path: item for path, item in doc["paths"].items()
              if path.startswith(("/v1/municipalities", "/v1/payments", "/v1/gateways", "/v1/health"))}
    assert len(public) == 11  # with TGR's refund and reversal notifications
    for path, item in public.items():
        for method, op in item.items():
            success = next(answer for status, answer in op["responses"].items() if status.startswith("2"))
            ref = success["content"]["application/json"]["schema"]["$ref"]
            schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            assert schema["properties"], (path, method)
    for path, method, name in [("/v1/municipalities/{code}/permits/quote", "get", "PermitQuoteOut"),
                               ("/v1/municipalities/{code}/debts", "get", "DebtsOut"),
                               ("/v1/municipalities/{code}/payments", "post", "PaymentCreatedOut"),
                               ("/v1/payments/{payment_id}", "get", "PaymentStatusOut")]:
        assert doc["paths"][path][method]["responses"]["200" if method == "get" else "201"]["content"][
            "application/json"]["schema"] == {"$ref": f"#/components/schemas/{name}"}
        assert doc["components"]["schemas"][name]["examples"], name
    quote = doc["paths"]["/v1/municipalities/{code}/permits/quote"]["get"]
    assert quote["operationId"] == "getPermitQuote"
    assert quote["security"] == [{"portalKey": []}]
    assert doc["paths"]["/v1/payments/{payment_id}"]["get"]["security"] == [{"paymentToken": []}]


def _successes_without_schema(doc: dict) -> list[tuple[str, str, str]]:
    """Each 2xx answer that does not say what it carries: a JSON schema generated from the route's
    response model (an object with properties, or a choice of such), or the media type of a file
    or page (text)."""
    schemas = doc["components"]["schemas"]

    def described(media: str, body: dict) -> bool:
        if media != "application/json":
            return body.get("schema") == {"type": "string"}
        ref = body.get("schema", {}).get("$ref")
        if not ref:
            return False
        schema = schemas[ref.rsplit("/", 1)[-1]]
        choices = [schemas[c["$ref"].rsplit("/", 1)[-1]] for c in schema.get("anyOf", [])]
        return all(s.get("properties") for s in choices or [schema])

    return [(method, path, status) for path, item in doc["paths"].items() for method, op in item.items()
            for status, answer in op["responses"].items() if status.startswith("2")
            and not (answer.get("content") and all(described(m, b) for m, b in answer["content"].items()))]


def test_every_success_answer_of_every_route_has_a_schema():
    assert _successes_without_schema(build_document(_app_routes())) == []


def test_a_route_whose_success_has_no_schema_is_caught():
    from chalice.app import Chalice

    from chalicelib.api.models import Out
    from chalicelib.api.operations import operation

    class ShapelessOut(Out):
        pass

    bare = Chalice(app_name="bare")

    @bare.route("/v1/untyped")
    @operation("getUntyped", "Sin esquema", tag="platform", also=((202, "Aceptada"),))
    def untyped() -> dict[str, str]:
        return {}

    @bare.route("/v1/shapeless")
    @operation("getShapeless", "Objeto sin campos", tag="platform", response=ShapelessOut)
    def shapeless() -> dict[str, str]:
        return {}

    @bare.route("/v1/file")
    @operation("getFile", "Archivo", tag="platform", media=("text/csv",))
    def file() -> dict[str, str]:
        return {}

    assert sorted(_successes_without_schema(build_document(bare.routes))) == [
        ("get", "/v1/shapeless", "200"), ("get", "/v1/untyped", "200"), ("get", "/v1/untyped", "202")]


def test_two_response_models_of_one_name_are_refused():
    """Schemas are keyed by class name: a second model of the same name would silently replace the first."""
    import pytest
    from chalice.app import Chalice

    from chalicelib.api.models import Out
    from chalicelib.api.operations import operation

    def named(field: str) -> type[Out]:
        return type("SameOut", (Out,), {"__annotations__": {field: int}})

    bare = Chalice(app_name="bare")

    @bare.route("/v1/one")
    @operation("getOne", "Uno", tag="platform", response=named("one"))
    def one() -> dict[str, str]:
        return {}

    @bare.route("/v1/two")
    @operation("getTwo", "Dos", tag="platform", response=named("two"))
    def two() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="SameOut"):
        build_document(bare.routes)


def test_the_document_is_served_and_uses_the_request_models(client):
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.body)
    assert doc["openapi"].startswith("3.1")
    payments = doc["paths"]["/v1/municipalities/{code}/payments"]["post"]
    headers = {p["name"] for p in payments["parameters"] if p["in"] == "header"}
    assert headers == {"Idempotency-Key"}
    schema_name = payments["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = doc["components"]["schemas"][schema_name]
    assert set(schema["required"]) == {"items", "payer", "return_url"}
    assert "409" in payments["responses"]
    notifications = doc["paths"]["/v1/gateways/tgr/notifications"]["post"]
    assert any(p["name"] == "X-TGR-Signature" for p in notifications["parameters"])


def test_an_answer_that_does_not_fit_its_model_is_a_500_not_a_dropped_field_or_a_400():
    from chalicelib.api.gateway import NotificationResultOut
    from chalicelib.api.http import api_view, json_response, typed

    fitted = json_response(typed(NotificationResultOut, {"result": "applied", "status": "paid", "reason": None}))
    assert fitted.body == {"result": "applied", "status": "paid", "reason": None}

    @api_view
    def view(data: dict[str, object]):
        return json_response(typed(NotificationResultOut, data))

    for data in ({"result": "applied", "status": "paid", "reason": None, "extra": 1},  # a key the model lacks
                 {"result": "applied", "status": 3, "reason": None},  # a wrong type
                 {"result": "applied"}):  # a missing field
        response = view(data)
        assert response.status_code == 500
        assert response.body["error"]["code"] == "internal_error"


def test_in_production_an_answer_that_does_not_fit_is_served_as_given_and_logged(monkeypatch, caplog):
    """A drift between a service and its response model is our bug: production keeps answering the
    citizen (never a 500 for it) and logs the mismatch, without values, for the on-call engineer."""
    from chalicelib.api.gateway import NotificationResultOut
    from chalicelib.api.http import api_view, json_response, typed
    monkeypatch.setattr("chalicelib.settings.get_settings", lambda: type("S", (), {"stage": "prod"})())

    @api_view
    def view(data: dict[str, object]):
        return json_response(typed(NotificationResultOut, data))

    data = {"result": "applied", "status": "paid", "reason": None, "extra": "12345678-5"}
    with caplog.at_level("ERROR"):
        response = view(data)
    assert response.status_code == 200
    assert response.body == data
    assert "response shape drift" in caplog.text
    assert "12345678" not in caplog.text


def test_a_typed_answer_keeps_exactly_the_keys_the_service_gave():
    from chalicelib.api.citizen import PaymentStatusOut
    from chalicelib.api.http import json_response, typed

    given = {"payment_id": "13101-X", "municipality": "13101", "status": "pending", "status_text": "Pendiente",
             "amount": 1000, "created_at": "2027-03-01T13:00:00+00:00", "expires_at": "2027-03-01T13:30:00+00:00",
             "items": [{"type": "debt", "description": "Aseo", "amount": 1000, "debt_id": "A-1"}]}
    assert json_response(typed(PaymentStatusOut, given)).body == given


def test_a_misfit_answer_is_logged_without_its_values(caplog):
    from chalicelib.api.citizen import DebtsOut
    from chalicelib.api.http import api_view, json_response, typed

    @api_view
    def view():
        return json_response(typed(DebtsOut, {"rut": "12.345.678-5", "municipality": "13101", "total": 1,
                                              "debts": [], "email": "ana.diaz@ciudadano.demo"}))

    with caplog.at_level("ERROR"):
        assert view().status_code == 500
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert str(error) == "DebtsOut does not fit the answer (email: extra_forbidden)"
    # pydantic's own error (which quotes the values) is neither the cause nor the shown context
    assert error.__cause__ is None
    assert error.__suppress_context__
