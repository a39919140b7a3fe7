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
import string
import time
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.e2e.portal import portal_key

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


# -- non-ASCII in every header the API reads (issue 15.6) -----------------------------------------
# schemathesis draws positive header values from ASCII and only 5 % of negative ones from a wider
# set, so these are fuzzed on their own: any text with at least one non-ASCII character, sent as
# its UTF-8 bytes (what a browser or curl puts on the wire; the gateway hands it on as Latin-1).

NON_ASCII = st.tuples(
    st.text(string.ascii_letters + string.digits + "=,-_ ", max_size=8),
    st.text(st.characters(min_codepoint=0x80, exclude_categories=("Cs",)), min_size=1, max_size=12),
    st.text(string.ascii_letters + string.digits, max_size=8),
).map("".join)

# operation, the header it reads, how the drawn text fills it, the documented refusal
HEADER_TARGETS = [
    ("GET", "/v1/payments/13101-01J0000000000000000000000Z", "Authorization", "Bearer {}", 401),
    ("POST", "/v1/gateways/tgr/notifications", "X-TGR-Signature", "t={now},v1={}", 401),
    ("GET", "/v1/municipalities/13101/debts?rut=12345678-5", "X-Api-Key", "{}", 401),
    ("GET", "/v1/municipalities/13101/permits/quote?plate=BBBB10&year=2027", "X-Api-Key", "sem_13101_{}", 401),
    ("POST", "/v1/municipalities/13101/payments", "Idempotency-Key", "{}", 400),
    ("GET", "/v1/municipalities/13101/debts?rut=12345678-5", "Origin", "http://{}", 400),
    ("GET", "/v1/admin/me", "Authorization", "Bearer {}", 401),
]


@pytest.mark.parametrize(("method", "path", "name", "shape", "expected"), HEADER_TARGETS,
                         ids=[f"{t[2]}:{t[1].split('?')[0]}" for t in HEADER_TARGETS])
@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(value=NON_ASCII)
def test_non_ascii_header_values_are_a_400_or_401_in_the_envelope(running_stack: Any, session: Any, method: str,
                                                                  path: str, name: str, shape: str, expected: int,
                                                                  value: str) -> None:
    headers = {"Content-Type": "application/json", "Origin": running_stack.url("demo_site"),
               "X-Api-Key": portal_key(running_stack), "Idempotency-Key": "k-fuzz-header"}
    headers[name] = shape.format(value, now=int(time.time())).encode("utf-8").decode("latin-1")
    response = session.request(method, f"{running_stack.url('api')}{path}", headers=headers,
                               data=b"{}" if method == "POST" else None, timeout=30)
    assert response.status_code == expected, response.text
    error = response.json()["error"]
    assert error["field"] == name
    assert error["request_id"] == response.headers["X-Request-Id"]
