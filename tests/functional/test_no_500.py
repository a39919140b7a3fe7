"""Nothing a caller sends produces a 500: every route of the app, every method it has, with odd
path values, odd bodies and odd headers, answers a 4xx (or 2xx) in the error envelope."""

from __future__ import annotations

import json
import re
import time

import pytest

ODD_VALUES = ["x", "13101", "00000", "99999", "%2e%2e", "a" * 300, "13101-01J0000000000000000000000Z", "ñ"]
ODD_BODIES = [b"", b"{", b"[]", b'{"x": 1}', b"\xff\xfe\x00", json.dumps({"items": [{"type": "debt"}]}).encode()]


@pytest.fixture(scope="module")
def client(shared_demo_stack):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as test_client:
        yield test_client, app


def _routes(app):
    for path, methods in sorted(app.routes.items()):
        for method in sorted(methods):
            yield path, method


def test_no_route_answers_500_to_odd_input(client):
    test_client, app = client
    failures = []
    for path, method in _routes(app):
        for value in ODD_VALUES:
            concrete = re.sub(r"\{[^}]+\}", value, path)
            for body in ODD_BODIES if method in ("POST", "PUT", "PATCH") else [None]:
                for headers in ({"Content-Type": "application/json"},
                                {"Content-Type": "application/json", "Authorization": "Bearer a.b.c",
                                 "X-Api-Key": "sem_13101_00000000_" + "a" * 43, "Idempotency-Key": "k-odd",
                                 "X-TGR-Signature": "t=1,v1=00"},
                                # non-ASCII in every header the API reads, the signature fresh enough
                                # to be compared (issue 15.6)
                                {"Content-Type": "application/json", "Authorization": "Bearer \u00f1",
                                 "X-Api-Key": "sem_13101_\u00f1", "Idempotency-Key": "k-\u00f1",
                                 "Origin": "http://\u00f1", "X-TGR-Signature": f"t={int(time.time())},v1=\u00e9"}):
                    kwargs = {"headers": headers}
                    if body is not None:
                        kwargs["body"] = body
                    response = getattr(test_client.http, method.lower())(concrete + "?from=x&to=&year=abc",
                                                                         **kwargs)
                    if response.status_code >= 500:
                        failures.append((method, concrete[:60], body, response.status_code, response.body[:200]))
                    elif response.status_code >= 400:
                        error = json.loads(response.body).get("error", {})
                        if not {"code", "message", "request_id"} <= set(error):
                            failures.append((method, concrete[:60], body, response.status_code, "not the envelope"))
    assert failures == []
