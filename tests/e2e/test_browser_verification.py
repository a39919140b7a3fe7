"""Issue 17 in a real browser (Debian's chromium through Playwright) against the running local stack:
a citizen pays BDFG36's 2027 permit (public API + TGR simulator), the worker e-mails the receipt,
and a phone opens the verification URL the e-mail and the QR carry — with JavaScript off — and sees
the page; an inspector checks a paid and an unpaid plate on the inspectors' page; the offline
verifier (a static page) checks a token signed with the municipality's KMS key with the network
cut, and refuses it tampered.

Screenshots: /tmp/verify-{receipt,upload,inspector-paid,inspector-unpaid,offline}.png.
"""

from __future__ import annotations

import email
import re
import time
import uuid
from typing import Any

import pytest
import requests

from tests.support.e2e.browser import new_page

PHONE = {"width": 390, "height": 844}
PAYER = {"rut": "22.222.222-2", "name": "Pedro Vera Muñoz", "email": "pedro.vera@ciudadano.demo"}
PLATE, YEAR = "BDFG36", 2027  # a fixture plate only this module pays (docs/prerequisites.md)
UNPAID = "GHJK12"  # its insurance has expired: never payable, so never paid


def _portal_key(stack: Any) -> str:
    match = re.search(r"Portal API key of 13101 \(X-Api-Key, generated for this run\): (\S+)", "".join(stack.output))
    assert match
    return match.group(1)


@pytest.fixture(scope="module")
def paid_permit(running_stack: Any) -> dict[str, Any]:
    """BDFG36's 2027 permit paid in 13101 and its receipt e-mailed; with the e-mail's verification URL."""
    api = running_stack.url("api")
    headers = {"Origin": running_stack.url("demo_site"), "X-Api-Key": _portal_key(running_stack),
               "Idempotency-Key": str(uuid.uuid4())}
    body = {"items": [{"type": "permit", "plate": PLATE, "year": YEAR, "installment": "full"}], "payer": PAYER,
            "return_url": f"{running_stack.url('demo_site')}/retorno.html"}
    created = requests.post(f"{api}/v1/municipalities/13101/payments", json=body, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    payment = created.json()
    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "credito"}, timeout=30)
    assert done.json()["sem_body"]["status"] == "paid", done.text
    status: dict[str, Any] = {}
    for _ in range(120):
        status = requests.get(f"{api}/v1/payments/{payment['payment_id']}", timeout=10,
                              headers={"Authorization": f"Bearer {payment['access_token']}"}).json()
        if status.get("receipt"):
            break
        time.sleep(0.5)
    assert status.get("receipt"), "no receipt within 60 s"
    for _ in range(60):  # the e-mail follows the receipt
        outbox = requests.get(f"{running_stack.url('moto')}/moto-api/data.json", timeout=60).json()
        mails = [m for m in outbox["ses"]["RawMessage"] if PAYER["email"] in str(m.get("destinations", m))]
        if mails:
            break
        time.sleep(0.5)
    assert len(mails) == 1, "exactly one receipt e-mail"
    text = next(p for p in email.message_from_string(mails[0]["raw_data"]).walk()
                if p.get_content_type() == "text/plain")
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes)
    match = re.search(r"http://127\.0\.0\.1:\d+/v1/receipts/verify\?\S+", payload.decode(text.get_content_charset()))
    assert match, payload
    assert match.group(0) == status["receipt"]["verification_url"]
    return {**payment, "receipt": status["receipt"], "url": match.group(0)}


def test_a_phone_without_javascript_opens_the_emailed_receipts_verification_page(
        browser: Any, paid_permit: dict[str, Any]) -> None:
    context = browser.new_context(locale="es-CL", viewport=PHONE, is_mobile=True, has_touch=True,
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(20_000)
    response = page.goto(paid_permit["url"])
    assert response is not None
    assert response.status == 200
    assert page.inner_text("#estado") == "Comprobante válido"
    assert page.inner_text("#folio") == paid_permit["receipt"]["folio"]
    body = page.inner_text("main")
    for shown in (PLATE, "Municipalidad de Santiago", "Año del permiso", str(YEAR), "01-04-2027 al 31-03-2028",
                  "Firma electrónica", "SHA-256"):
        assert shown in body, shown
    assert "Pedro" not in body
    assert "22.222.222" not in body
    # Phone-first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path="/tmp/verify-receipt.png", full_page=True)

    # The receipt's PDF, uploaded through the page's form (no JavaScript): the one the platform issued.
    pdf = requests.get(paid_permit["receipt"]["download_url"], timeout=10).content
    page.set_input_files("#pdf", files=[{"name": "comprobante.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "PDF auténtico" in page.inner_text("#resultado-pdf")
    middle = len(pdf) // 3
    edited = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1:]
    page.set_input_files("#pdf", files=[{"name": "editado.pdf", "mimeType": "application/pdf", "buffer": edited}])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "PDF distinto" in page.inner_text("#resultado-pdf")
    page.screenshot(path="/tmp/verify-upload.png", full_page=True)
    context.close()


def test_an_inspector_checks_a_paid_and_an_unpaid_plate(running_stack: Any, browser: Any,
                                                        paid_permit: dict[str, Any]) -> None:
    page = new_page(browser, PHONE, timeout_ms=20_000)
    page.goto(f"{running_stack.url('api')}/v1/inspector")
    page.fill("#plate", "bdfg-36")
    page.fill("#year", str(YEAR))
    page.click("button[type=submit]")
    page.wait_for_selector("#estado")
    assert page.inner_text("#estado") == "Permiso pagado"
    assert page.inner_text("#patente") == PLATE
    assert page.inner_text("#vigencia") == "31-03-2028"
    assert paid_permit["receipt"]["folio"] in page.inner_text("main")
    page.screenshot(path="/tmp/verify-inspector-paid.png", full_page=True)

    page.fill("#plate", UNPAID)
    page.fill("#year", "2027")
    page.click("button[type=submit]")
    page.wait_for_selector(f"#patente:has-text('{UNPAID}')")
    assert page.inner_text("#estado") == "Sin permiso pagado en la plataforma"
    page.screenshot(path="/tmp/verify-inspector-unpaid.png", full_page=True)

    page.fill("#plate", "ZZ")
    page.click("button[type=submit]")
    page.wait_for_selector("#mensaje")
    assert "patente" in page.inner_text("#mensaje").lower()
    assert page.js_errors == []


def test_the_offline_verifier_checks_a_token_with_the_network_cut(running_stack: Any, browser: Any,
                                                                   paid_permit: dict[str, Any]) -> None:
    import boto3

    from chalicelib.adapters.kms_keys import KmsKeys
    from chalicelib.services.receipts import receipt_token_claims
    from chalicelib.signing.receipt_tokens import ReceiptTokenSigner

    # A token signed in KMS with 13101's receipt-token key, for this payment (what its QR carries).
    kms = boto3.client("kms", endpoint_url=running_stack.url("moto"), region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    receipt = paid_permit["receipt"]
    claims = receipt_token_claims({"municipality": "13101", "amount": paid_permit["amount"], "items": [
        {"type": "permit", "plate": PLATE, "year": YEAR, "installment": "full"}]},
        {"folio": receipt["folio"], "issued_at": time.strftime("%Y-%m-%d")})
    token = ReceiptTokenSigner(KmsKeys(kms)).sign("13101", claims)
    scanned = f"{paid_permit['url']}#t={token}"

    page = new_page(browser, PHONE, timeout_ms=20_000)
    page.goto(f"{running_stack.url('console')}/verificar.html")
    page.click("#llaves-descargar")
    page.wait_for_selector("#llaves-estado:has-text('llave(s) guardada(s) el')")
    page.context.set_offline(True)
    page.fill("#qr", scanned)
    page.click("#verificar")
    page.wait_for_selector("#resultado:not([hidden])")
    assert page.inner_text("#estado") == "Firma válida", page.inner_text("#detalle")
    shown = page.inner_text("#datos")
    assert receipt["folio"] in shown
    assert PLATE in shown
    assert "31-03-2028" in shown
    page.screenshot(path="/tmp/verify-offline.png", full_page=True)

    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    page.fill("#qr", tampered)
    page.click("#verificar")
    page.wait_for_selector("#resultado.bad")
    assert page.inner_text("#estado") == "No verificado"
    assert page.js_errors == []
