"""The citizen's payment through the running local stack, the way a municipal site and TGR
drive it: quote → pay → the TGR simulator approves → the payment is paid and its receipt follows;
and every fixture plate's quote says exactly why it can or cannot be paid."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

from tests.support.e2e.portal import api, portal_key

# Quoted only, never paid, by the e2e tests (the payment tests use HJKL45, PRST67 and debts).
PLATES = {
    # plate: (payable, the code of the failed check, if any)
    "BBBB10": (True, None),
    "CDFG23": (True, None),
    "VWXY89": (True, None),
    "GHJK12": (False, "insurance_expired"),
    "JKLP34": (False, "insurance_ends_within_period"),
    "KLPR56": (False, "inspection_rejected"),
    "LPRS78": (False, "inspection_expired"),
    "RSTV32": (False, "emissions_expired"),
    "STVW43": (False, "fines_unpaid"),
}


@pytest.mark.parametrize(("plate", "expected"), PLATES.items())
def test_each_fixture_plate_says_why(running_stack, plate, expected):
    payable, failed_code = expected
    response = api(running_stack, "GET", f"/v1/municipalities/13101/permits/quote?plate={plate}&year=2027")
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["payable"] is payable, quote["reasons"]
    failed = {name: c for name, c in quote["checks"].items() if c["status"] != "ok"}
    if failed_code is None:
        assert failed == {}
    else:
        assert [c["code"] for c in failed.values()] == [failed_code]
        assert all(c["reason"] for c in failed.values())
        assert quote["reasons"]


def test_unknown_plate_is_not_payable_and_says_so(running_stack):
    response = api(running_stack, "GET", "/v1/municipalities/13101/permits/quote?plate=TVWX54&year=2027")
    assert response.status_code == 200, response.text
    assert response.json()["payable"] is False
    assert response.json()["vehicle"] is None


def test_quote_pay_approve_paid(running_stack):
    quote = api(running_stack, "GET", "/v1/municipalities/13101/permits/quote?plate=HJKL45&year=2027").json()
    assert quote["payable"] is True
    body = {"items": [{"type": "permit", "plate": "HJKL45", "year": 2027, "installment": "full"}],
            "payer": {"rut": "11.111.111-1", "name": "Ana Díaz Fuentes", "email": "ana.diaz@ciudadano.demo"},
            "return_url": f"{running_stack.url('demo_site')}/retorno.html"}
    key = str(uuid.uuid4())
    created = api(running_stack, "POST", "/v1/municipalities/13101/payments", json=body,
                  headers={"Idempotency-Key": key})
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["amount"] == quote["amounts"]["full"]
    assert payment["checkout_url"].startswith(running_stack.url("tgr"))
    replay = api(running_stack, "POST", "/v1/municipalities/13101/payments", json=body,
                 headers={"Idempotency-Key": key})
    assert replay.json() == payment

    checkout = requests.get(payment["checkout_url"], timeout=10)
    assert checkout.status_code == 200
    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "debito"}, timeout=30)
    assert done.status_code == 200, done.text
    assert done.json()["sem_status"] == 200
    assert done.json()["sem_body"]["status"] == "paid"

    status = requests.get(f"{running_stack.url('api')}/v1/payments/{payment['payment_id']}",
                          headers={"Authorization": f"Bearer {payment['access_token']}"}, timeout=10)
    assert status.status_code == 200
    assert status.json()["status"] == "paid"
    assert status.json()["method"] == "debito"

    # The worker issues the receipt: signed PDF in S3, e-mailed, verifiable.
    receipt = None
    for _ in range(60):
        body = requests.get(f"{running_stack.url('api')}/v1/payments/{payment['payment_id']}",
                            headers={"Authorization": f"Bearer {payment['access_token']}"}, timeout=10).json()
        receipt = body.get("receipt")
        if receipt:
            break
        time.sleep(0.5)
    assert receipt, "no receipt within 30 s"
    assert re.fullmatch(r"13101-20\d\d-\d{6}", receipt["folio"])  # the year the receipt is issued
    pdf = requests.get(receipt["download_url"], timeout=10)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    ca = requests.get(f"{running_stack.url('api')}/v1/trust/ca.pem", timeout=10)
    assert ca.status_code == 200
    from chalicelib.signing.verify import verify_receipt_pdf

    verdict = verify_receipt_pdf(pdf.content, ca.content)
    assert verdict.valid, verdict
    tampered = bytearray(pdf.content)
    tampered[len(tampered) // 3] ^= 0x01
    assert not verify_receipt_pdf(bytes(tampered), ca.content).valid
    verified = requests.get(f"{running_stack.url('api')}/v1/receipts/verify",
                            params={"folio": receipt["folio"], "code": receipt["verification_code"]}, timeout=10)
    assert verified.status_code == 200, verified.text
    assert verified.json()["amount"] == payment["amount"]
    outbox = requests.get(f"{running_stack.url('moto')}/moto-api/data.json", timeout=60).json()
    raw = [m for m in outbox["ses"]["RawMessage"] if "ana.diaz@ciudadano.demo" in str(m.get("destinations", m))]
    assert len(raw) == 1, "exactly one receipt e-mail"
    assert receipt["folio"] in raw[0]["raw_data"]


def test_a_rejected_payment_frees_the_item(running_stack):
    body = {"items": [{"type": "debt", "debt_id": "PAT-2027-1-000123"}],
            "payer": {"rut": "12345678-5", "name": "María Pérez Soto", "email": "maria.perez@ciudadano.demo"},
            "return_url": f"{running_stack.url('demo_site')}/retorno.html"}
    first = api(running_stack, "POST", "/v1/municipalities/13101/payments", json=body,
                headers={"Idempotency-Key": str(uuid.uuid4())}).json()
    order_id = first["checkout_url"].rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "rejected"}, timeout=30).json()
    assert done["sem_body"]["status"] == "rejected"
    again = api(running_stack, "POST", "/v1/municipalities/13101/payments", json=body,
                headers={"Idempotency-Key": str(uuid.uuid4())})
    assert again.status_code == 201, again.text


def test_the_demo_site_is_served(running_stack):
    page = requests.get(running_stack.url("demo_site"), timeout=10)
    assert page.status_code == 200
    config = requests.get(f"{running_stack.url('demo_site')}/config.js", timeout=10).text
    assert portal_key(running_stack) in config


def test_a_dead_soap_service_makes_quotes_unavailable_quickly(running_stack):
    control = f"{running_stack.url('soap')}/simulator/control"
    assert requests.post(control, json={"service": "mtt", "mode": "down"}, timeout=10).status_code == 200
    try:
        started = time.monotonic()
        response = api(running_stack, "GET", "/v1/municipalities/13101/permits/quote?plate=BBBB10&year=2027")
        elapsed = time.monotonic() - started
        quote = response.json()
        assert response.status_code == 200, quote
        assert quote["payable"] is False
        assert quote["checks"]["inspection"]["status"] == "unavailable"
        assert quote["checks"]["emissions"]["status"] == "unavailable"
        assert elapsed < 15  # a bound on hanging, not a performance target
    finally:
        requests.post(control, json={"service": "mtt", "mode": "ok"}, timeout=10)
