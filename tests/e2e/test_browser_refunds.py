"""Issue 20 in a real browser (Debian's chromium through Playwright) against the running local stack:
a citizen pays a patente twice over (paid through the public API and the TGR simulator, its
receipt issued by the worker); the Tesorero(a) subrogante of 13101 proposes the refund on the
payment's page, signs the refund order with a one-time code on "Devoluciones", TGR (the simulator)
completes it with a signed notification, and the payment's page then shows it refunded with its
receipt annulled; the debt is payable again.

Screenshots: /tmp/console-refunds-{propose,sign,done}.png.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import requests

from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import id_token, sign_in

SIGNER = "tesorero.subrogante@munistgo.demo"
ADMIN = "administrador.municipal@munistgo.demo"
PAYER = {"rut": "12.345.678-5", "name": "María Pérez Soto", "email": "maria.perez@ciudadano.demo"}
BASE = "/v1/admin/municipalities/13101"


def admin(stack: Any, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{stack.url('api')}{path}", headers={"Authorization": f"Bearer {token}"},
                            timeout=60, **kwargs)


def load_debt(stack: Any, debt_id: str, amount: int) -> None:
    """The administrador municipal loads a one-line patente roll through the API."""
    token = id_token(stack, ADMIN)
    body = ("debt_id;rut;type;description;period;due_date;amount\r\n"
            f"{debt_id};12.345.678-5;patente;Patente de prueba {debt_id};2027-Q1;2027-04-30;{amount}\r\n").encode()
    created = admin(stack, token, "POST", f"{BASE}/rolls/uploads",
                    json={"filename": "rol-devoluciones.csv", "content_length": len(body)})
    assert created.status_code == 201, created.text
    upload = created.json()
    put = requests.put(upload["upload_url"], data=body, headers=upload.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text
    for _ in range(20):
        state = admin(stack, token, "POST", f"{BASE}/rolls/uploads/{upload['upload']['upload_id']}/process").json()
        if state.get("status") != "processing":
            break
    assert state["status"] == "done", state


def pay(stack: Any, debt_id: str) -> requests.Response:
    key = re.search(r"Portal API key of 13101 \(X-Api-Key, generated for this run\): (\S+)", "".join(stack.output))
    assert key
    headers = {"Origin": stack.url("demo_site"), "X-Api-Key": key.group(1), "Idempotency-Key": str(uuid.uuid4())}
    return requests.post(f"{stack.url('api')}/v1/municipalities/13101/payments", headers=headers, timeout=30,
                         json={"items": [{"type": "debt", "debt_id": debt_id}], "payer": PAYER,
                               "return_url": f"{stack.url('demo_site')}/retorno.html"})


def next_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_the_treasurer_refunds_a_payment_with_a_signed_order(running_stack: Any, browser: Any) -> None:
    debt = f"PAT-DEV-{uuid.uuid4().hex[:8].upper()}"
    load_debt(running_stack, debt, 43_210)
    created = pay(running_stack, debt)
    assert created.status_code == 201, created.text
    payment_id = created.json()["payment_id"]
    order_id = created.json()["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "debito"}, timeout=30)
    assert done.json()["sem_body"]["status"] == "paid", done.text

    token = id_token(running_stack, SIGNER)
    for _ in range(60):  # the receipts worker issues the receipt
        detail = admin(running_stack, token, "GET", f"{BASE}/payments/{payment_id}").json()
        if detail.get("receipt"):
            break
        time.sleep(0.5)
    assert detail["receipt"], detail
    # The signer's advanced signature (as the "Firma electrónica" page does; tested on its own elsewhere).
    state = admin(running_stack, token, "GET", "/v1/admin/me/signature").json()
    assert state["status"] == "not_enrolled", f"{SIGNER} is enrolled already: this test enrolls it"
    enrolled = admin(running_stack, token, "POST", "/v1/admin/me/signature", json={})
    secret = parse_qs(urlsplit(enrolled.json()["otpauth_uri"]).query)["secret"][0]
    confirmed = admin(running_stack, token, "POST", "/v1/admin/me/signature/confirm",
                      json={"otp": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text

    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, SIGNER, f"#/pagos/{payment_id}")
    page.wait_for_selector("#payment-refunds #refund-propose")
    page.select_option("#refund-reason", "double_payment")
    page.fill("#refund-note", "El contribuyente pagó la misma patente en la caja municipal.")
    page.click("#refund-propose")
    page.wait_for_selector("#payment-refunds .alert-success")
    assert "$43.210" in page.inner_text("#payment-refunds .alert-success")
    page.screenshot(path="/tmp/console-refunds-propose.png", full_page=True)

    page.click("a[data-path='devoluciones']")
    row = page.locator(".refund-pending", has_text=payment_id)
    row.wait_for()
    refund_id = row.get_attribute("data-refund")
    page.fill(f"#refund-sign-{refund_id}-otp", "000000" if next_code(secret) != "000000" else "000001")
    page.click(f"#refund-sign-{refund_id}")
    page.wait_for_selector("#refunds-pending .alert-error")
    assert "otp_invalid" in page.inner_text("#refunds-pending .alert-error")
    page.fill(f"#refund-sign-{refund_id}-otp", next_code(secret))
    page.click(f"#refund-sign-{refund_id}")
    page.wait_for_selector("#refunds-pending .alert-success")
    assert "Tesorería" in page.inner_text("#refunds-pending .alert-success")
    page.screenshot(path="/tmp/console-refunds-sign.png", full_page=True)

    # TGR pays the money back and notifies (signed); a duplicate changes nothing.
    refunds = requests.get(f"{running_stack.url('tgr')}/simulator/refunds", params={"merchant_reference": payment_id},
                           timeout=30).json()["refunds"]
    assert [r["merchant_refund_reference"] for r in refunds] == [refund_id]
    completed = requests.post(f"{running_stack.url('tgr')}/simulator/refunds/{refunds[0]['refund_order_id']}/complete",
                              json={"outcome": "completed", "duplicates": 1}, timeout=30).json()
    assert completed["sem_body"]["payment_status"] == "refunded", completed
    assert completed["duplicates"][0]["sem_body"]["result"] == "duplicate", completed

    page.goto(f"{running_stack.url('console')}/#/pagos/{payment_id}")
    page.wait_for_selector("#payment-refunds")
    text = page.inner_text("#payment-refunds")
    assert "Comprobante anulado" in text
    assert "Devuelta al contribuyente" in text
    assert "Devuelto" in page.inner_text(".page-header")
    page.screenshot(path="/tmp/console-refunds-done.png", full_page=True)
    assert not page.js_errors, page.js_errors
    page.context.close()

    # The debt is payable again.
    again = pay(running_stack, debt)
    assert again.status_code == 201, again.text


def test_a_reversal_alerts_the_treasury_on_the_panel_until_it_is_reviewed(running_stack: Any, browser: Any) -> None:
    debt = f"PAT-CTC-{uuid.uuid4().hex[:8].upper()}"
    load_debt(running_stack, debt, 21_500)
    created = pay(running_stack, debt)
    assert created.status_code == 201, created.text
    payment_id = created.json()["payment_id"]
    order_id = created.json()["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "credito"}, timeout=30)
    assert done.json()["sem_body"]["status"] == "paid", done.text
    reversed_ = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/reverse", json={},
                              timeout=30).json()
    assert reversed_["sem_body"]["result"] == "applied", reversed_
    reversal_id = reversed_["notification"]["reversal_id"]

    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, SIGNER)
    alert = page.locator(f"#reversal-alerts [data-reversal='{reversal_id}']")
    alert.wait_for()
    assert "contracargo" in page.inner_text("#reversal-alerts").lower()
    assert "$21.500" in alert.inner_text()
    assert payment_id in alert.inner_text()
    page.screenshot(path="/tmp/console-reversal-alert.png", full_page=True)
    alert.locator("input[name='note']").fill("Se contactó al contribuyente; pagará en la caja.")
    alert.locator("button[type='submit']").click()
    alert.wait_for(state="detached")
    # Reviewed: the panel no longer shows it, after a reload too.
    page.reload()
    page.wait_for_selector(".page-header h1")
    page.wait_for_timeout(500)
    assert page.locator(f"#reversal-alerts [data-reversal='{reversal_id}']").count() == 0
    assert not page.js_errors, page.js_errors
    page.context.close()
