"""The error envelope and the mapping of every error class to its HTTP status."""

from __future__ import annotations

import json

import pytest
from chalice.app import Response
from pydantic import BaseModel, Field, ValidationError

from chalicelib.api import errors
from chalicelib.api.http import api_view
from chalicelib.domain.errors import (
    ConditionFailed,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    RuleRefused,
    Unauthenticated,
)
from chalicelib.observability import begin_request


@pytest.mark.parametrize(("error", "status"), [
    (InvalidInput("x"), 400),
    (Unauthenticated("x"), 401),
    (Forbidden("x"), 403),
    (NotFound("x"), 404),
    (Conflict("x"), 409),
    (ConditionFailed(), 409),
    (RuleRefused("x"), 422),
    (RateLimited("x"), 429),
    (DependencyUnavailable("x"), 503),
])
def test_each_error_class_has_its_status(error, status):
    assert errors.status_for(error) == status


def test_envelope_carries_code_message_field_and_request_id():
    rid = begin_request("req-1")
    response = errors.error_response(InvalidInput("RUT no válido", code="invalid_rut", field="payer.rut"))
    assert response.status_code == 400
    assert response.body == {"error": {"code": "invalid_rut", "message": "RUT no válido",
                                       "field": "payer.rut", "request_id": rid}}


def test_retry_after_on_503_and_429():
    assert errors.error_response(DependencyUnavailable("x", retry_after=12)).headers["Retry-After"] == "12"
    assert errors.error_response(RateLimited("x", retry_after=60)).headers["Retry-After"] == "60"


def test_a_leaked_condition_failure_is_a_conflict():
    response = errors.error_response(ConditionFailed())
    assert response.status_code == 409
    assert response.body["error"]["code"] == "conflict"


class Sample(BaseModel):
    year: int = Field(ge=2000, le=2100)
    kind: str = Field(pattern=r"^[a-z]+$")


@pytest.mark.parametrize(("data", "field", "fragment"), [
    ({"kind": "a"}, "year", "Falta"),
    ({"year": "abc", "kind": "a"}, "year", "número entero"),
    ({"year": 1990, "kind": "a"}, "year", "mayor o igual a 2000"),
    ({"year": 2200, "kind": "a"}, "year", "menor o igual a 2100"),
    ({"year": 2020, "kind": "A1"}, "kind", "formato"),
])
def test_validation_errors_name_the_field_in_spanish(data, field, fragment):
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(data)
    invalid = errors.invalid_input_from(caught.value, prefix=None)
    assert invalid.field == field
    assert fragment in invalid.message


def test_chalice_errors_are_rewritten_into_the_envelope():
    chalice_405 = Response(body={"Code": "MethodNotAllowedError", "Message": "Unsupported method: POST"},
                           status_code=405)
    rewritten = errors.rewrite_chalice_error(chalice_405)
    assert rewritten.body["error"]["code"] == "method_not_allowed"
    internal = errors.rewrite_chalice_error(
        Response(body={"Code": "InternalServerError", "Message": "boom"}, status_code=500))
    assert internal.status_code == 500
    assert internal.body["error"]["code"] == "internal_error"
    untouched = Response(body={"status": "ok"}, status_code=200)
    assert errors.rewrite_chalice_error(untouched) is untouched


def test_api_view_turns_every_failure_into_the_envelope():
    @api_view
    def refused() -> Response:
        raise RuleRefused("No hay UTM para 2031-01", code="utm_missing", field="year")

    @api_view
    def buggy() -> Response:
        raise KeyError("secret detail")

    response = refused()
    assert (response.status_code, response.body["error"]["code"]) == (422, "utm_missing")
    crash = buggy()
    assert crash.status_code == 500
    assert "secret detail" not in json.dumps(crash.body)
    assert crash.body["error"]["code"] == "internal_error"
