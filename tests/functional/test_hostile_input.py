"""Hostile input through the API, against moto: oversized, deeply nested and malformed bodies,
wrong content types, odd headers, and plates and RUTs in odd encodings. Each answer is a clear
4xx in the envelope with a Spanish message, or the value correctly normalized — never a 500.
(Every route × odd path values is tests/functional/test_no_500.py; the parsers' properties are
tests/unit/domain/test_hostile_text.py.)"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from chalicelib.domain import webhook_signature

ORIGIN = "http://127.0.0.1"
SPANISH = ("á", "é", "í", "ó", "ú", "ñ", " el ", " la ", " de ", "Debe", "Falta", "válid", "demasiado")
PAYER = {"rut": "12.345.678-5", "name": "María Pérez", "email": "maria@ciudadano.demo"}


@pytest.fixture(scope="module")
def env(shared_demo_stack):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        yield client, shared_demo_stack["portal_keys"]["13101"]


def call(env: Any, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         portal: bool = True) -> tuple[int, dict[str, Any], dict[str, str]]:
    client, key = env
    h = {"Content-Type": "application/json", "Origin": ORIGIN, **({"X-Api-Key": key} if portal else {})}
    h.update(headers or {})
    kwargs: dict[str, Any] = {"headers": h}
    if body is not None:
        kwargs["body"] = body
    response = getattr(client.http, method)(path, **kwargs)
    assert response.status_code < 500, response.body[:300]
    return response.status_code, json.loads(response.body), response.headers


def assert_refused(status: int, body: dict[str, Any], expected: int, code: str | None = None) -> None:
    assert status == expected, body
    error = body["error"]
    assert {"code", "message", "field", "request_id"} <= set(error)
    if code:
        assert error["code"] == code
    assert any(word in error["message"] for word in SPANISH), error["message"]


def signed(body: bytes) -> dict[str, str]:
    import time

    secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
    return {"X-TGR-Signature": webhook_signature.signature_header(secret, int(time.time()), body)}


# Every JSON-body route a caller reaches without an official's token, with what it needs to get
# as far as reading the body.
JSON_ROUTES = [
    ("/v1/municipalities/13101/permits/simulate", {}),
    ("/v1/municipalities/13101/patentes/simulate", {}),
    ("/v1/municipalities/13101/payments", {"Idempotency-Key": "k-hostile"}),
]


@pytest.mark.parametrize(("path", "headers"), JSON_ROUTES)
def test_an_oversized_body_is_a_400_in_the_envelope(env, path, headers):
    body = json.dumps({"padding": "x" * (64 * 1024)}).encode()
    assert_refused(*call(env, "post", path, body=body, headers=headers)[:2], 400, "body_too_large")


def test_an_oversized_notification_is_refused_before_its_signature_is_checked(env):
    body = json.dumps({"padding": "x" * (64 * 1024)}).encode()
    status, answer, _ = call(env, "post", "/v1/gateways/tgr/notifications", body=body, headers=signed(body),
                             portal=False)
    assert_refused(status, answer, 400, "body_too_large")


NESTED = b"[" * 50_000 + b"]" * 50_000


@pytest.mark.parametrize(("path", "headers"), JSON_ROUTES)
def test_json_nested_too_deep_is_a_400_not_a_500(env, path, headers):
    assert_refused(*call(env, "post", path, body=NESTED[:60_000], headers=headers)[:2], 400, "invalid_json")


def test_a_signed_notification_nested_too_deep_is_a_400_not_a_500(env):
    body = b'{"a":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    status, answer, _ = call(env, "post", "/v1/gateways/tgr/notifications", body=body, headers=signed(body),
                             portal=False)
    assert_refused(status, answer, 400, "invalid_json")


@pytest.mark.parametrize("body", [
    b"", b" ", b"{", b"[]", b"null", b"1", b'"text"', b"\xff\xfe\x00{", b"\xef\xbb\xbf{}", b'{"year": NaN}',
    b'{"year": 1e400}', b'{"year": ' + b"9" * 5000 + b"}", b'{"year": 2027, "year": "x"}', b"{'year': 2027}",
    '{"vehicle_class": "light\u0000"}'.encode(), b'{"tasacion": -1}', b'{"tasacion": 1.5}',
])
def test_malformed_bodies_are_a_clear_400(env, body):
    status, answer, _ = call(env, "post", "/v1/municipalities/13101/permits/simulate", body=body)
    assert_refused(status, answer, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x",
                                          "application/x-www-form-urlencoded", "application/json\r\nX-Evil: 1"])
def test_other_content_types_are_a_415_in_the_envelope(env, content_type):
    status, answer, headers = call(env, "post", "/v1/municipalities/13101/patentes/simulate", body=b"{}",
                                   headers={"Content-Type": content_type})
    assert_refused(status, answer, 415, "unsupported_media_type")
    assert "X-Evil" not in headers


@pytest.mark.parametrize("header", ["t=\u00b9,v1=00", "t=\u0661\u0662,v1=00", "t=" + "9" * 5000 + ",v1=00",
                                    "t=1,v1=\u00e9", "t=,v1=", ",,,", "v1=" + "a" * 64, "t=1\r\nX: y,v1=00"])
def test_odd_signature_headers_are_a_401_not_a_500(env, header):
    status, answer, _ = call(env, "post", "/v1/gateways/tgr/notifications", body=b"{}",
                             headers={"X-TGR-Signature": header}, portal=False)
    assert_refused(status, answer, 401)
    assert answer["error"]["code"].startswith("signature_")


# -- non-ASCII in the headers the API reads (issue 15.6) --------------------------------------------

# "\u00c3\u00b1": "ñ" sent as UTF-8 and read as Latin-1, as the gateway hands it on.
NON_ASCII = ["\u00f1", "Bearer \u00e9t\u00e9", "t=1,v1=\u00e9", "\u4e2d\u6587", "\u00c3\u00b1",
             "sem_13101_\u00f1", "\u0661\u0662\u0663", "x\u200b", "\ufeff"]
PAYMENT_ID = "13101-01J0000000000000000000000Z"


def _fresh_signature(value: str) -> str:
    """A current timestamp, so the verifier gets as far as comparing the `v1` values."""
    import time

    return f"t={int(time.time())},v1={value}"


# (method, path, header, how the value is sent, expected status): every header the API reads, on a
# route that reads it.
HEADER_CASES = [
    ("get", f"/v1/payments/{PAYMENT_ID}", "Authorization", lambda v: f"Bearer {v}", 401),
    ("get", f"/v1/payments/{PAYMENT_ID}", "Authorization", lambda v: v, 401),
    ("post", "/v1/gateways/tgr/notifications", "X-TGR-Signature", _fresh_signature, 401),
    ("post", "/v1/gateways/tgr/notifications", "X-TGR-Signature", lambda v: v, 401),
    ("get", "/v1/municipalities/13101/debts?rut=12345678-5", "X-Api-Key", lambda v: v, 401),
    ("post", "/v1/municipalities/13101/payments", "X-Api-Key", lambda v: v, 401),
    ("post", "/v1/municipalities/13101/payments", "Idempotency-Key", lambda v: v, 400),
    ("get", "/v1/municipalities/13101/debts?rut=12345678-5", "Origin", lambda v: f"http://{v}", 400),
    ("get", "/v1/admin/me", "Authorization", lambda v: f"Bearer {v}", 401),
    ("get", "/v1/citizen/me", "Authorization", lambda v: f"Bearer {v}", 401),
    ("get", "/v1/citizen/companies/76543210-3/plates", "Authorization", lambda v: f"Bearer {v}", 401),
    ("post", "/v1/citizen/companies/76543210-3/plates/csv", "Authorization", lambda v: f"Bearer {v}", 401),
    ("get", "/v1/admin/municipalities/13101/payments", "Authorization", lambda v: f"Bearer {v}", 401),
]


@pytest.mark.parametrize("value", NON_ASCII)
@pytest.mark.parametrize(("method", "path", "header", "shape", "expected"), HEADER_CASES,
                         ids=[f"{c[2]}-{c[1].split('?')[0]}-{i}" for i, c in enumerate(HEADER_CASES)])
def test_non_ascii_in_a_header_the_api_reads_is_a_400_or_401_in_the_envelope(env, method, path, header, shape,
                                                                               expected, value):
    headers = {header: shape(value)}
    if header != "Idempotency-Key" and path.endswith("/payments"):
        headers["Idempotency-Key"] = "k-non-ascii"
    portal = not path.startswith(("/v1/payments/", "/v1/gateways/", "/v1/admin/"))
    status, answer, _ = call(env, method, path, body=b"{}" if method == "post" else None, headers=headers,
                             portal=portal)
    assert_refused(status, answer, expected)
    assert answer["error"]["field"] == header
    assert value not in answer["error"]["message"]


@pytest.mark.parametrize("value", NON_ASCII)
def test_a_garbled_accept_on_the_verification_url_gets_the_json_answer_not_a_500(env, value):
    """Accept only chooses between the page and JSON: a value that is not ASCII is no preference."""
    status, answer, _ = call(env, "get", "/v1/receipts/verify?folio=13101-2027-000001&code=K7P39-XQ2M4",
                             headers={"Accept": f"text/html{value}"}, portal=False)
    assert_refused(status, answer, 404, "receipt_not_found")


@pytest.mark.parametrize("value", NON_ASCII)
def test_a_garbled_content_type_on_a_pdf_upload_is_refused_in_the_envelope(env, value):
    status, answer, _ = call(env, "post", "/v1/receipts/verify?folio=13101-2027-000001&code=K7P39-XQ2M4",
                             body=b"%PDF-1.7", headers={"Content-Type": f"multipart/form-data; boundary={value}"},
                             portal=False)
    assert status in (400, 415), answer
    assert {"code", "message", "field", "request_id"} <= set(answer["error"])


def test_every_request_header_is_read_through_the_one_checked_reader():
    """No route reads `request.headers` itself: `chalicelib/api/http.py::header` is the one place a
    header value is taken, and it refuses what is not printable ASCII; every header it knows says
    how it is refused."""
    import re
    from pathlib import Path

    from chalicelib.api import http

    root = Path(__file__).resolve().parents[2] / "chalicelib"
    direct = [str(p) for p in root.rglob("*.py") if p.name != "http.py"
              and re.search(r"(current_request|request|event)\.headers", p.read_text(encoding="utf-8"))]
    assert direct == []
    read = set()
    for path in (root / "api").rglob("*.py"):
        read |= {name.lower() for name in re.findall(r"\bheader\(\s*[\w.]+,\s*\"([^\"]+)\"", path.read_text())}
    assert read == set(http.READ_HEADERS)


# -- plates and RUTs in odd encodings ------------------------------------------------------------

@pytest.mark.parametrize("plate", ["ＢＢＢＢ１０", "bb\u00a0bb\u00a010", "BB\u200bBB10", "bb\u2013bb\u201310",
                                   "\ufeffbbbb10", "BBBB10\u202e", "bb.bb.10", "Bb-Bb-10"])
def test_a_plate_in_an_odd_encoding_is_normalized(env, plate):
    status, quote, _ = call(env, "get", f"/v1/municipalities/13101/permits/quote?plate={_q(plate)}&year=2027")
    assert status == 200, quote
    assert quote["plate"] == "BBBB10"


@pytest.mark.parametrize("plate", ["BBBB\u0661\u0660", "B\u0301BBB10", "BBBB10%00", "\u0412\u0412\u0412\u041210",
                                   "<script>", "BBBB10'--"])
def test_a_plate_in_another_script_or_with_accents_is_a_clear_400(env, plate):
    status, answer, _ = call(env, "get", f"/v1/municipalities/13101/permits/quote?plate={_q(plate)}&year=2027")
    assert_refused(status, answer, 400)
    assert answer["error"]["field"] == "plate"


@pytest.mark.parametrize("rut", ["１２.３４５.６７８-５", "12\u00a0345\u00a0678\u20105", "12.345.678\u20135",
                                 "12345678-5\u200b", "123456785", "12.345.678-5 ", "０１２３４５６７８５"])
def test_a_rut_in_an_odd_encoding_finds_the_same_debts(env, rut):
    _, expected, _ = call(env, "get", "/v1/municipalities/13101/debts?rut=12345678-5")
    status, debts, _ = call(env, "get", f"/v1/municipalities/13101/debts?rut={_q(rut)}")
    assert status == 200, debts
    assert debts == expected
    assert debts["debts"]


@pytest.mark.parametrize("rut", ["\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668-5", "12.345.678-5\u0301",
                                 "12345678-5%0d%0aX", "12.345.678-K", "-5", "12,345,678-5"])
def test_a_malformed_rut_is_a_clear_400_that_does_not_repeat_it(env, rut):
    status, answer, _ = call(env, "get", f"/v1/municipalities/13101/debts?rut={_q(rut)}")
    assert_refused(status, answer, 400)
    assert answer["error"]["field"] == "rut"
    # The message may show the format's example (12.345.678-5), never what was sent.
    assert rut not in answer["error"]["message"]
    assert "345" not in answer["error"]["message"].replace("12.345.678-5", "")


def test_a_payer_rut_and_plate_in_full_width_are_stored_normalized(env, monkeypatch):
    from chalicelib import wiring
    from tests.support.gateways import FakeGateway

    real = wiring.payment_context

    def context() -> Any:
        ctx = real()
        ctx.gateway = FakeGateway()
        return ctx

    monkeypatch.setattr(wiring, "payment_context", context)
    body = json.dumps({"items": [{"type": "permit", "plate": "ｃｄｆｇ２３", "year": 2027}],
                       "payer": {**PAYER, "rut": "１２.３４５.６７８-５"},
                       "return_url": "http://127.0.0.1/retorno.html"}).encode()
    status, created, _ = call(env, "post", "/v1/municipalities/13101/payments", body=body,
                              headers={"Idempotency-Key": "k-fullwidth"})
    assert status == 201, created
    stored = wiring.payments_repo().get("13101", created["payment_id"])
    assert stored["payer"]["rut"] == "12345678-5"
    assert [i.get("plate") for i in stored["items"]] == ["CDFG23"]


def test_a_forged_pagination_cursor_nested_too_deep_is_a_400():
    from chalicelib.adapters.dynamo import decode_cursor
    from chalicelib.domain.errors import InvalidInput

    cursor = base64.urlsafe_b64encode(b"[" * 2000).decode().rstrip("=")
    with pytest.raises(InvalidInput):
        decode_cursor(cursor)


def _q(text: str) -> str:
    from urllib.parse import quote

    return text if "%" in text else quote(text, safe="")
