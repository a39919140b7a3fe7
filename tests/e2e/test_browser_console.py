"""The officials' console in a real browser (Debian's chromium through Playwright) against the
running local stack:

- the administrador municipal of 13101 loads a roll (CSV through the presigned URL; the bad line
  is reported by number) and changes the receipt's primary colour (the live preview follows the
  input; the settings are saved);
- a citizen then pays the debt that roll created (public API + TGR simulator), and the receipt
  PDF the worker issues is drawn in the new colour;
- the treasurer of 13101 signs in, sees the dashboard, finds that payment, opens its detail and
  downloads its receipt;
- the treasurer of Las Condes finds nothing of 13101 and is refused the payment's detail URL.

One chromium for the module, a fresh context (own sessionStorage) per official.
"""

from __future__ import annotations

import random
import re
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from devstack import demo_totp
from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import id_token, sign_in
from tests.support.e2e.portal import pay

ADMIN = "administrador.municipal@munistgo.demo"
TREASURER = "tesorero@munistgo.demo"
MAYOR = "alcalde@munistgo.demo"
DIRECTOR = "director.finanzas@munistgo.demo"
FOREIGN_TREASURER = "tesorero@lascondes.demo"


@dataclass
class Scenario:
    colour: str
    debt_id: str
    payment_id: str
    folio: str
    amount: int
    receipt_pdf: bytes


def pay_debt(stack: Any, debt_id: str) -> dict[str, Any]:
    """A citizen pays the debt through the municipal site's API, TGR approves it, and the receipt
    is issued."""
    payment = pay(stack, debt_id, "debito")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = requests.get(f"{stack.url('api')}/v1/payments/{payment['payment_id']}",
                              headers={"Authorization": f"Bearer {payment['access_token']}"}, timeout=10).json()
        if status.get("receipt"):
            return {**payment, "receipt": status["receipt"]}
        time.sleep(0.3)
    raise AssertionError("no receipt within 30 s")


def fill_colours(pdf: bytes) -> set[tuple[int, int, int]]:
    """Every RGB fill colour (`r g b rg`) in the PDF's content streams, as 0–255 triples."""
    found: set[tuple[int, int, int]] = set()
    for start in re.finditer(rb"stream\r?\n", pdf):
        try:  # each Flate stream ends where its zlib data ends
            text = zlib.decompressobj().decompress(pdf[start.end():])
        except zlib.error:
            continue  # not compressed (or not a stream): the signature's contents, …
        for r, g, b in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", text):
            found.add((round(float(r) * 255), round(float(g) * 255), round(float(b) * 255)))
    return found


def new_run() -> str:
    """An invented RUN no demo official holds (bodies 30–39 million; demo officials are 19–20)."""
    from chalicelib.domain.rut import mod11_check_digit

    body = str(random.randint(30_000_000, 39_999_999))
    return f"{body}-{mod11_check_digit(body)}"


def dotted(run: str) -> str:
    body, check = run.split("-")
    return f"{int(body):,}".replace(",", ".") + f"-{check}"


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour[1:], 16)
    return value >> 16, (value >> 8) & 255, value & 255


@pytest.fixture(scope="module")
def scenario(running_stack: Any, browser: Any) -> Scenario:
    """The administrador municipal loads a roll and rebrands the receipt; then the new debt is paid."""
    rng = random.Random()
    colour = "#{:02x}{:02x}{:02x}".format(*(rng.randrange(0x30, 0x90) for _ in range(3)))
    debt_id = f"ASE-E2E-{uuid.uuid4().hex[:10].upper()}"
    page = new_page(browser)
    sign_in(page, running_stack, ADMIN)

    # A roll with one good line and one bad RUT: the good one is loaded, the bad one reported.
    csv_text = ("debt_id;rut;type;description;period;due_date;amount\r\n"
                f"{debt_id};12.345.678-5;aseo;Derechos de aseo rol 999-1, prueba de consola;2027-Q1;30-04-2027;"
                "23.450\r\n"
                f"{debt_id}-X;12.345.678-9;aseo;RUT con dígito verificador malo;2027-Q1;2027-04-30;21480\r\n")
    page.click("a[data-path='roles']")
    page.set_input_files("#roll-file", files=[{"name": "rol-aseo-prueba.csv", "mimeType": "text/csv",
                                                "buffer": csv_text.encode()}])
    page.click("#roll-upload")
    page.wait_for_url(re.compile(r"#/roles/\d{8}T"))
    page.wait_for_selector("text=Procesado")
    errors = page.locator("table.data").last
    assert "3" in errors.locator("tbody tr").first.inner_text()  # the file's line 3 (header = line 1)
    assert "rut" in errors.inner_text().lower()

    # The receipt's colour: the preview follows the input before anything is saved.
    page.click("a[data-path='configuracion']")
    page.wait_for_selector("#branding-form")
    before = page.get_attribute("#receipt-preview", "data-primary")
    page.fill("#branding-primary_color", colour)
    assert page.get_attribute("#receipt-preview", "data-primary") == colour != before
    band = page.eval_on_selector("#preview-band", "el => getComputedStyle(el).backgroundColor")
    assert band == "rgb({}, {}, {})".format(*rgb(colour))
    page.click("#branding-save")
    page.wait_for_selector("text=Imagen guardada")
    page.screenshot(path="/tmp/console-settings.png", full_page=True)
    page.reload()
    page.wait_for_selector("#branding-form")
    assert page.input_value("#branding-primary_color") == colour  # stored, not only shown
    assert not page.js_errors, page.js_errors
    page.context.close()

    paid = pay_debt(running_stack, debt_id)
    pdf = requests.get(paid["receipt"]["download_url"], timeout=10)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    return Scenario(colour=colour, debt_id=debt_id, payment_id=paid["payment_id"], folio=paid["receipt"]["folio"],
                    amount=paid["amount"], receipt_pdf=pdf.content)


def test_the_next_receipt_is_drawn_in_the_new_colour(scenario: Scenario) -> None:
    assert rgb(scenario.colour) in fill_colours(scenario.receipt_pdf), (
        f"{scenario.colour} not among the receipt's fill colours")


def test_the_treasurer_finds_the_payment_and_opens_its_receipt(running_stack: Any, browser: Any,
                                                                scenario: Scenario) -> None:
    page = new_page(browser)
    sign_in(page, running_stack, TREASURER)
    page.wait_for_selector("#kpi-today")
    page.wait_for_selector("#dashboard-source")
    page.wait_for_selector(".chart-columns", timeout=30_000)  # the year, added up from the search
    assert "Recaudado hoy" in page.inner_text("#kpi-today")
    page.screenshot(path="/tmp/console-dashboard.png", full_page=True)

    page.click("a[data-path='pagos']")
    page.fill("#payment-filters input[name='folio']", scenario.folio)
    page.click("#search-submit")
    row = page.locator("table.data tbody tr", has_text=scenario.folio)
    row.wait_for()
    # The default dates (today) are not sent with a folio: a receipt of yesterday is found too.
    assert "folio=" in page.url
    assert "from=" not in page.url
    assert f"${scenario.amount:,}".replace(",", ".") in row.inner_text()
    assert "Pagado" in row.inner_text()
    row.get_by_role("link", name=re.compile("Detalle")).click()

    page.wait_for_selector("#receipt-folio")
    assert page.inner_text("#payment-id") == scenario.payment_id
    assert page.inner_text("#receipt-folio") == scenario.folio
    body = page.inner_text("main")
    for expected in ("Derechos de aseo rol 999-1", "12.345.678-5", "TGR aprobó el pago", "Comprobante emitido",
                     "maria.perez@ciudadano.demo", "Tarjeta de débito"):
        assert expected in body, expected
    page.screenshot(path="/tmp/console-payment.png", full_page=True)

    href = page.get_attribute("#receipt-download", "href")
    assert href is not None
    assert href.startswith(running_stack.url("moto"))
    with page.expect_download() as download_info:
        page.click("#receipt-download")
    download = download_info.value
    assert download.suggested_filename == f"comprobante-{scenario.folio}.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_another_municipality_cannot_see_the_payment(running_stack: Any, browser: Any, scenario: Scenario) -> None:
    page = new_page(browser, viewport={"width": 1024, "height": 768})  # a tablet, landscape
    sign_in(page, running_stack, FOREIGN_TREASURER)
    assert "Las Condes" in page.inner_text(".topbar")

    page.goto(f"{running_stack.url('console')}/#/pagos?folio={scenario.folio}")
    page.wait_for_selector("text=No hay pagos con estos filtros.")
    page.goto(f"{running_stack.url('console')}/#/pagos?rut=12.345.678-5")
    page.wait_for_selector(".pager-info")
    page.wait_for_function("!document.querySelector('.pager-block .loading')")
    assert scenario.payment_id not in page.inner_text("main")
    assert "13101-" not in page.inner_text("main")

    page.goto(f"{running_stack.url('console')}/#/pagos/{scenario.payment_id}")
    refusal = page.locator("#payment-error")
    refusal.wait_for()
    assert "otra municipalidad" in refusal.inner_text()
    assert refusal.locator("code.rid").inner_text().strip()  # the request id, for support
    assert page.locator("#receipt-folio").count() == 0
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_a_new_deputy_treasurer_must_enrol_a_totp_app_before_anything_else(running_stack: Any, browser: Any) -> None:
    """The administrador municipal creates a tesorero subrogante; at the first sign-in the new
    official chooses a password and is then held on the second-factor page (no way around it,
    the API refuses everything else) until a TOTP app is enrolled; the enrolment ends that session
    and from then on Cognito asks for the code at every sign-in."""
    email = f"subrogante.{uuid.uuid4().hex[:8]}@munistgo.demo"
    created = requests.post(f"{running_stack.url('api')}/v1/admin/municipalities/13101/officials", timeout=30,
                            headers={"Authorization": f"Bearer {id_token(running_stack, ADMIN)}"},
                            json={"email": email, "name": "Tesorera Subrogante Nueva",
                                  "profile": "tesorero_subrogante", "run": new_run()})
    assert created.status_code == 202, created.text  # a proposal: the alcalde approves it
    approved = requests.post(
        f"{running_stack.url('api')}/v1/admin/municipalities/13101/official-proposals/"
        f"{created.json()['proposal']['proposal_id']}/approve", timeout=30,
        headers={"Authorization": f"Bearer {id_token(running_stack, MAYOR)}"})
    assert approved.status_code == 200, approved.text
    # Cognito e-mails the temporary password; moto does not, so the test sets one it knows.
    pool = re.search(r"Cognito user pool (\S+),", "".join(running_stack.output))
    assert pool
    answer = requests.post(running_stack.url("moto") + "/", timeout=10, json={
        "UserPoolId": pool.group(1), "Username": email, "Password": "Temporal-2027-abc", "Permanent": False},
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminSetUserPassword"})
    assert answer.status_code == 200, answer.text

    page = new_page(browser)
    page.goto(running_stack.url("console"))
    page.fill("#email", email)
    page.fill("#password", "Temporal-2027-abc")
    page.click("#signin-submit")
    page.fill("#new-password", "Subrogante-2027-xyz")
    page.fill("#new-password-2", "Subrogante-2027-xyz")
    page.click("form button[type=submit]")
    page.wait_for_selector("#totp-start")
    assert page.locator("#totp-later").count() == 0
    assert "autoriza pagos" in page.inner_text("main")

    page.goto(f"{running_stack.url('console')}/#/pagos")  # any other page leads back here
    page.wait_for_function("location.hash.startsWith('#/segundo-factor')")
    page.wait_for_selector("#totp-start")
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('sem.session') || '{}').idToken || ''")
    assert token
    # And the API itself refuses, whatever the browser is made to do.
    refused = requests.get(f"{running_stack.url('api')}/v1/admin/municipalities/13101/payments", timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "second_factor_required")

    page.click("#totp-start")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#totp-verify-code", demo_totp.code_now(secret, margin_s=8))
    page.click("#totp-verify-code >> xpath=ancestor::form//button[@type='submit']")
    # Sessions follow enrolment: the session begun without the code ends (everywhere), and the
    # console asks to sign in again — now Cognito asks for the code.
    page.wait_for_selector("#email")
    assert "segundo factor quedó activado" in page.inner_text("main")
    refused = requests.get(f"{running_stack.url('api')}/v1/admin/me", timeout=30,
                           headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "session_ended")
    page.wait_for_timeout(1100)  # a person takes longer: a sign-in in the second of the sign-out is refused
    page.fill("#email", email)
    page.fill("#password", "Subrogante-2027-xyz")
    page.click("#signin-submit")
    page.fill("#totp-code", demo_totp.code_now(secret, margin_s=8))
    page.click("#totp-submit")
    page.wait_for_selector("#sign-out")
    page.goto(f"{running_stack.url('console')}/#/pagos")
    page.wait_for_selector(".pager-info")

    page.click("#sign-out")
    page.wait_for_selector("#email")
    page.fill("#email", email)
    page.fill("#password", "Subrogante-2027-xyz")
    page.click("#signin-submit")
    page.fill("#totp-code", demo_totp.code_now(secret, margin_s=8))
    page.click("#totp-submit")
    page.wait_for_selector("#sign-out")
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_a_new_treasurer_waits_for_the_mayors_approval(running_stack: Any, browser: Any) -> None:
    """Four eyes in the console: the administrador municipal creates a tesorero (with RUN); the
    account is only a pending proposal, which the administrator cannot approve; the alcalde sees
    it on Funcionarios and approves it, and only then is it an official of the municipality."""
    email = f"tesorero.{uuid.uuid4().hex[:8]}@munistgo.demo"
    run = new_run()
    officials = f"{running_stack.url('api')}/v1/admin/municipalities/13101/officials?limit=200"

    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, ADMIN, "#/funcionarios")
    page.wait_for_selector("#new-official")
    page.fill("#new-official-email", email)
    page.fill("#new-official-name", "Tesorero Nuevo")
    page.fill("#new-official-run", dotted(run))
    page.select_option("#new-official-profile", "tesorero")
    page.click("#new-official button[type=submit]")
    page.wait_for_selector("text=Se propuso crear la cuenta")
    row = page.locator("#proposals tr[data-proposal-id]", has_text=email)
    row.wait_for()
    assert "Pendiente de aprobación" in row.inner_text()
    assert row.locator("button").count() == 0  # the proposer cannot decide it
    assert dotted(run) in row.inner_text()
    listed = requests.get(officials, timeout=30, headers={"Authorization": f"Bearer {id_token(running_stack, ADMIN)}"})
    assert email not in [o["email"] for o in listed.json()["items"]]
    page.screenshot(path="/tmp/console-four-eyes-proposed.png", full_page=True)
    assert not page.js_errors, page.js_errors
    page.context.close()

    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, MAYOR, "#/funcionarios")
    row = page.locator("#proposals tr[data-proposal-id]", has_text=email)
    row.wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="Aprobar").click()
    page.wait_for_selector(f"text=Aprobado: {email}")
    page.wait_for_function("(email) => !document.querySelector('#proposals')?.textContent.includes(email)", arg=email)
    page.screenshot(path="/tmp/console-four-eyes-approved.png", full_page=True)
    assert not page.js_errors, page.js_errors
    page.context.close()

    listed = requests.get(officials, timeout=30, headers={"Authorization": f"Bearer {id_token(running_stack, ADMIN)}"})
    created = next(o for o in listed.json()["items"] if o["email"] == email)
    assert (created["profile"], created["run"], created["status"]) == ("tesorero", run, "active")


def test_the_administrator_designates_the_receipt_signer(running_stack: Any, browser: Any) -> None:
    """The administrador municipal picks the receipt signer among the officials who authorize
    payments on "Firmante de comprobantes"; the page then shows that official's registered RUN,
    and the API's designation is the same. The director de finanzas sees it but cannot change it."""
    from devstack.demo_data import official_run

    signer = "tesorero.subrogante@munistgo.demo"
    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, ADMIN, "#/firmante")
    page.wait_for_selector("#signer-form")
    options = page.locator("#signer-email option").all_inner_texts()
    assert not any("Operador" in o for o in options)  # only profiles that authorize payments
    page.select_option("#signer-email", signer)
    page.click("#signer-save")
    page.wait_for_selector(f"#signer-state[data-email='{signer}']")
    assert page.inner_text("#signer-run") == dotted(official_run(signer))
    page.screenshot(path="/tmp/console-receipt-signer.png", full_page=True)
    assert not page.js_errors, page.js_errors
    page.context.close()

    answer = requests.get(f"{running_stack.url('api')}/v1/admin/municipalities/13101/receipt-signer", timeout=30,
                          headers={"Authorization": f"Bearer {id_token(running_stack, ADMIN)}"}).json()
    assert (answer["designated"]["email"], answer["designated"]["run"]) == (signer, official_run(signer))

    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, DIRECTOR, "#/firmante")
    page.wait_for_selector(f"#signer-state[data-email='{signer}']")
    assert page.locator("#signer-form").count() == 0
    assert not page.js_errors, page.js_errors
    page.context.close()
