"""Property-based fuzzing of the running API against its own OpenAPI document (schemathesis):
valid and invalid requests to every operation, and for each answer no 5xx, a status the document
lists for the operation, the content type it lists, and a body matching its schema (the error
envelope for every error). Only 127.0.0.1; bounded in examples so it stays within about a minute.

Portal routes get the run's portal key of 13101 and the demo site's origin, so the fuzzing goes
past the 401 of a missing key into validation and the services. Admin routes are fuzzed without
a token: each must answer the documented 401 in the envelope (their authorised behaviour is
tests/functional/test_admin_matrix.py's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.test_payment_flow import portal_key

# /v1/signatures/verify takes the PDF as raw bytes, like any binary body.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Bounded: few examples per operation, fixed seed (a failure reproduces), no example database,
# and no per-example deadline (a quote runs SOAP checks; the time of an answer is not asserted).
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def session(running_stack: Any) -> Any:
    with requests.Session() as http:
        http.trust_env = False  # 127.0.0.1 only, never a proxy from the environment
        yield http


def _document() -> dict[str, Any]:
    from app import app
    from chalicelib.api.openapi import build_document

    return build_document(app.routes)


# Built in-process at collection (the same function serves /v1/openapi.json; the first test checks
# that the running stack serves exactly this document) because the stack's port is known only later.
schema = schemathesis.openapi.from_dict(_document())


def test_the_fuzzed_document_is_the_one_the_stack_serves(running_stack: Any, session: Any) -> None:
    served = session.get(f"{running_stack.url('api')}/v1/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(_document()))


def _call(case: Any, stack: Any, http: requests.Session) -> Any:
    headers = dict(case.headers or {})
    if "X-Api-Key" in headers:
        headers["X-Api-Key"] = portal_key(stack)
        headers["Origin"] = stack.url("demo_site")
    case.headers = headers
    response = case.call_and_validate(base_url=stack.url("api"), session=http, checks=CHECKS, timeout=30)
    if response.status_code >= 400:
        error = response.json()["error"]
        request_id = {name.lower(): value for name, value in response.headers.items()}["x-request-id"]
        assert error["request_id"] in (request_id if isinstance(request_id, list) else [request_id])
        assert error["message"]
    return response


@schema.include(path_regex=r"^/v1/(?!admin/)").parametrize()
@FUZZ
def test_citizen_and_public_routes_keep_their_contract(case: Any, running_stack: Any, session: Any) -> None:
    _call(case, running_stack, session)


@schema.include(path_regex=r"^/v1/admin/").parametrize()
@settings(FUZZ, max_examples=3, phases=[Phase.generate])  # no coverage phase: every answer is the 401
def test_admin_routes_without_a_token_answer_the_documented_401(case: Any, running_stack: Any,
                                                                 session: Any) -> None:
    response = _call(case, running_stack, session)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] in {"missing_token", "invalid_token"}
