"""The privacy notice route and its links from what citizens read (docs/personal-data.md)."""

from __future__ import annotations

import pytest

from chalicelib.documents.emails import receipt_email


@pytest.fixture(scope="module")
def client(shared_demo_stack):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as test_client:
        yield test_client


def test_the_notice_names_the_municipality_as_controller(client):
    response = client.http.get("/v1/privacy?municipality=13101")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.body.decode()
    assert 'lang="es-CL"' in html
    assert "Responsable: Municipalidad de Santiago" in html
    assert "Agencia de Protección de Datos Personales" in html
    assert "<script" not in html


def test_the_generic_notice_needs_no_municipality(client):
    response = client.http.get("/v1/privacy")
    assert response.status_code == 200
    assert "la municipalidad a la que usted paga" in response.body.decode()


@pytest.mark.parametrize(("query", "status", "code"), [
    ("?municipality=99999", 404, "municipality_not_found"),
    ("?municipality=1310", 400, None),
    ("?municipality=%3Cscript%3E", 400, None),
    ("?other=1", 400, None),
])
def test_bad_queries_get_the_error_envelope(client, query, status, code):
    response = client.http.get("/v1/privacy" + query)
    assert response.status_code == status
    assert response.json_body["error"]["field"] in ("municipality", "other")
    if code:
        assert response.json_body["error"]["code"] == code


def test_the_receipt_email_links_the_notice_of_its_municipality():
    payment = {"municipality": "13101", "amount": 1000, "payer": {"email": "a@example.cl", "name": "Ana"},
               "items": [{"description": "Aseo", "amount": 1000}], "method": "webpay"}
    allocation = {"folio": "13101-2027-000001", "verification_code": "K7P39-XQ2M4",
                  "issued_at": "2027-03-20T10:00:00-03:00"}
    config = {"sender_email": "pagos@example.cl", "sender_identities": ["pagos@example.cl"], "name": "Santiago"}
    email = receipt_email(payment, allocation, config, b"%PDF", "http://127.0.0.1:8000")
    link = "http://127.0.0.1:8000/v1/privacy?municipality=13101"
    assert link in email.text
    assert f'href="{link}"' in email.html
