"""Issue 8 in a real browser (Debian's chromium through Playwright) against the running local stack:
the Tesorero(a) of 13101 enrolls an advanced electronic signature on "Firma electrónica" (the test
reads the secret from the otpauth URI the page shows and computes the codes with pyotp), signs the
day's batch (nómina: a payment created and approved for today through the public API + TGR
simulator) with a one-time code on "Firmas pendientes", and "Documentos firmados" verifies it; the
downloaded signed PDF also verifies through POST /v1/signatures/verify.

Screenshots: /tmp/console-signature-{enroll,batch,signed,documents}.png.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import requests

from devstack.demo_data import official_run
from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import admin, id_token, load_roll, sign_in
from tests.support.e2e.portal import pay

TREASURER = "tesorero@munistgo.demo"


def next_code(secret: str) -> str:
    """A code of the next time step: each step's code is accepted once (±1 step), and the step
    of the confirmation code is already used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_the_treasurer_enrolls_and_signs_the_days_batch(running_stack: Any, browser: Any) -> None:
    started = time.monotonic()
    debt = f"PAT-SIGN-{uuid.uuid4().hex[:8].upper()}"
    load_roll(running_stack, [(debt, "patente", 54_320)])
    paid = pay(running_stack, debt, "debito")
    day = paid["paid_at"][:10]

    page = new_page(browser, timeout_ms=20_000)
    sign_in(page, running_stack, TREASURER)

    # Enrollment: state, the secret shown once, the first code. No RUN is typed: the certificate
    # carries the one the administrator registered for the account.
    page.click("a[data-path='firma']")
    page.wait_for_selector("#sig-status[data-status='not_enrolled']")
    assert page.locator("#sig-run").count() == 0
    assert "RUN que el administrador registró" in page.inner_text("#sig-run-note")
    page.click("#sig-enroll")
    page.wait_for_selector("#sig-otpauth")
    uri = page.inner_text("#sig-otpauth")
    assert uri.startswith("otpauth://totp/"), uri
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert page.inner_text("#sig-secret").replace(" ", "") == secret
    page.screenshot(path="/tmp/console-signature-enroll.png", full_page=True)
    page.fill("#sig-confirm-otp", pyotp.TOTP(secret).now())
    page.click("#sig-confirm")
    page.wait_for_selector("#sig-status[data-status='active']")
    assert page.inner_text("#sig-serial") not in ("", "—")
    page.wait_for_selector("#sig-trust .badge")
    assert "Vigente" in page.inner_text("#sig-trust")
    assert page.inner_text("#sig-kind").startswith("firma electrónica simple")  # the platform CA's, said so

    # The day's batch: totals, the payment, a wrong code refused, then signed.
    page.goto(f"{running_stack.url('console')}/#/firmas?dia={day}")
    page.wait_for_selector("#batch-status[data-status='unsigned']")
    assert paid["payment_id"] in page.inner_text("#batch")
    assert "con firma electrónica simple" in page.inner_text("#batch .signs-with")
    assert "avanzada" not in page.inner_text("#batch")
    page.click("#batch-draft")
    page.wait_for_selector("#batch-draft-link")
    page.screenshot(path="/tmp/console-signature-batch.png", full_page=True)
    page.fill("#batch-sign-otp", "000000" if next_code(secret) != "000000" else "000001")
    page.click("#batch-sign")
    page.wait_for_selector("#batch .alert-error")
    assert "otp_invalid" in page.inner_text("#batch .alert-error")
    page.fill("#batch-sign-otp", next_code(secret))
    page.click("#batch-sign")
    page.wait_for_selector("#batch-status[data-status='signed']")
    assert "Nómina firmada" in page.inner_text("#batch")
    page.screenshot(path="/tmp/console-signature-signed.png", full_page=True)

    # Signed documents: download link and verification in the page.
    page.click("a[data-path='documentos-firmados']")
    button = page.locator(f"#verify-batch-{day}-1-button")
    button.click()
    page.wait_for_selector(f"#verify-batch-{day}-1 .verify-result[data-valid='true']")
    page.screenshot(path="/tmp/console-signature-documents.png", full_page=True)
    assert page.js_errors == []

    # The signed PDF itself verifies through the public route.
    batch = admin(running_stack, id_token(running_stack, TREASURER), "GET",
                  f"/v1/admin/municipalities/13101/batches/{day}").json()
    assert batch["status"] == "signed", batch
    [signed] = batch["signed"]
    assert signed["signed_by"]["email"] == TREASURER
    pdf = requests.get(signed["download_url"], timeout=30).content
    assert pdf.startswith(b"%PDF")
    result = requests.post(f"{running_stack.url('api')}/v1/signatures/verify", data=pdf, timeout=60,
                           headers={"Content-Type": "application/octet-stream"}).json()
    assert result["valid"], result
    [signature] = result["signatures"]
    assert signature["profile"] == "tesorero"
    assert signature["run"] == official_run(TREASURER)
    assert signature["municipality"] == "Ilustre Municipalidad de Santiago"  # 13101's legal name (certificate O)
    assert time.monotonic() - started < 60


def _enroll_through_the_api(stack: Any, token: str) -> str:
    """Enroll an official's signature (the API, as the console's page does); returns the TOTP secret."""
    answer = admin(stack, token, "POST", "/v1/admin/me/signature", json={})
    assert answer.status_code == 201, answer.text
    secret = parse_qs(urlsplit(answer.json()["otpauth_uri"]).query)["secret"][0]
    confirmed = admin(stack, token, "POST", "/v1/admin/me/signature/confirm", json={"otp": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    return secret


def test_the_alcalde_signs_an_agreement_and_subdere_countersigns(running_stack: Any, browser: Any) -> None:
    from datetime import date, timedelta

    central = id_token(running_stack, "administrador.subdere@subdere.demo")
    alcalde = id_token(running_stack, "alcalde@munistgo.demo")
    central_secret = _enroll_through_the_api(running_stack, central)
    alcalde_secret = _enroll_through_the_api(running_stack, alcalde)
    today = date.today()
    issued = admin(running_stack, central, "POST", "/v1/admin/central/municipalities/13101/agreements",
                   json={"valid_from": today.isoformat(), "valid_until": (today + timedelta(days=730)).isoformat(),
                         "reference": "Convenio de prueba e2e"})
    assert issued.status_code == 201, issued.text
    agreement_id = issued.json()["agreement_id"]

    # The Alcalde signs it in the console with a one-time code.
    page = new_page(browser, timeout_ms=20_000)
    sign_in(page, running_stack, "alcalde@munistgo.demo")
    page.click("a[data-path='firmas']")
    page.click(f"button[data-open='{agreement_id}']")
    assert page.inner_text(".agreement-card .signs-with").startswith("firma electrónica simple")  # the platform CA's
    page.fill("#agreement-sign-otp", next_code(alcalde_secret))
    page.click("#agreement-sign")
    page.wait_for_selector(f".agreement-status[data-id='{agreement_id}'][data-status='signed_municipality']")
    page.screenshot(path="/tmp/console-agreement-signed.png", full_page=True)
    assert page.js_errors == []

    # SUBDERE countersigns: the agreement is in force for the municipality, and both signatures verify.
    countersigned = admin(running_stack, central, "POST",
                          f"/v1/admin/central/municipalities/13101/agreements/{agreement_id}/countersign",
                          json={"otp": next_code(central_secret)})
    assert countersigned.status_code == 200, countersigned.text
    record = admin(running_stack, alcalde, "GET", f"/v1/admin/municipalities/13101/agreements/{agreement_id}").json()
    assert record["status"] == "in_force", record
    pdf = requests.get(record["download_url"], timeout=30).content
    result = requests.post(f"{running_stack.url('api')}/v1/signatures/verify", data=pdf, timeout=60,
                           headers={"Content-Type": "application/octet-stream"}).json()
    assert result["valid"], result
    assert [s["profile"] for s in result["signatures"]] == ["alcalde", "administrador_subdere"]
