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

from tests.e2e.test_browser_reports import admin, browser, id_token, load_roll, new_page, pay, sign_in  # noqa: F401

TREASURER = "tesorero@munistgo.demo"


def next_code(secret: str) -> str:
    """A code of the next time step: each step's code is accepted once (±1 step), and the step
    of the confirmation code is already used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_the_treasurer_enrolls_and_signs_the_days_batch(running_stack: Any, browser: Any) -> None:  # noqa: F811
    started = time.monotonic()
    debt = f"PAT-SIGN-{uuid.uuid4().hex[:8].upper()}"
    load_roll(running_stack, [(debt, "patente", 54_320)])
    paid = pay(running_stack, debt, "debito")
    day = paid["paid_at"][:10]

    page = new_page(browser)
    sign_in(page, running_stack, TREASURER)

    # Enrollment: state, RUN, the secret shown once, the first code.
    page.click("a[data-path='firma']")
    page.wait_for_selector("#sig-status[data-status='not_enrolled']")
    page.fill("#sig-run", "12.345.678-5")
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

    # The day's batch: totals, the payment, a wrong code refused, then signed.
    page.goto(f"{running_stack.url('console')}/#/firmas?dia={day}")
    page.wait_for_selector("#batch-status[data-status='unsigned']")
    assert paid["payment_id"] in page.inner_text("#batch")
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
    assert signature["run"] == "12345678-5"
    assert signature["municipality"] == "Ilustre Municipalidad de Santiago"  # 13101's legal name (certificate O)
    assert time.monotonic() - started < 60
