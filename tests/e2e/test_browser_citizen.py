"""A citizen's own space in a real browser on a phone: sign in through the ClaveÚnica simulator,
see their payments, pay a debt from "Mis pagos" through TGR's checkout, download its receipt."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import sign_in as official_sign_in

PHONE = {"width": 390, "height": 844}
# María's aseo installment in 13101: paid by this test only (no other e2e test touches it).
DEBT = "ASE-2027-1-004567"


def sign_in(page, stack, run="12345678-5"):
    page.goto(f"{stack.url('console')}/mis-pagos/")
    page.click("#signin")
    page.wait_for_url(f"{stack.url('claveunica')}/openid/authorize**")
    page.click(f'button[name="run"][value="{run}"]')
    page.wait_for_url(f"{stack.url('console')}/mis-pagos/**")
    expect(page.locator("#payments")).to_be_visible()


def test_a_citizen_signs_in_pays_a_debt_and_downloads_the_receipt(running_stack, browser):
    page = new_page(browser, PHONE, timeout_ms=30_000)
    sign_in(page, running_stack)
    assert "12.345.678-5" in page.inner_text("#who")
    debt = page.locator(f'li.debt[data-debt="{DEBT}"]')
    expect(debt).to_be_visible()
    debt.locator('input[type="email"]').fill("maria.perez@ciudadano.demo")
    debt.locator("button").click()

    page.wait_for_url(f"{running_stack.url('tgr')}/checkout/**")
    page.check('input[name="method"][value="debito"]')
    page.click('button[name="outcome"][value="approved"]')
    page.wait_for_url(f"{running_stack.url('console')}/mis-pagos/**")

    # The worker issues the receipt; the page shows it once it is there.
    download_button = page.locator("li.payment", has_text="Derechos de aseo").locator("button.download")
    for _ in range(60):
        if download_button.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
        expect(page.locator("#payments")).to_be_visible()
    expect(download_button.first).to_be_visible()
    card = page.locator("li.payment", has_text="Derechos de aseo").first
    assert "Pagado" in card.inner_text() or "pagado" in card.inner_text().lower()
    verify = card.locator("a", has_text="Verificar").get_attribute("href")
    assert verify
    assert "/v1/receipts/verify?folio=" in verify
    assert requests.get(verify, timeout=10).status_code == 200

    with page.expect_download() as info:
        download_button.first.click()
    path = info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.screenshot(path="/tmp/mis-pagos.png", full_page=True)
    # Paid: the debt is gone from the open debts.
    page.reload()
    expect(page.locator("#payments")).to_be_visible()
    assert page.locator(f'li.debt[data-debt="{DEBT}"]').count() == 0
    assert page.js_errors == []


def test_another_citizen_sees_none_of_marias_payments(running_stack, browser):
    page = new_page(browser, PHONE, timeout_ms=30_000)
    sign_in(page, running_stack, run="11111111-1")
    assert "11.111.111-1" in page.inner_text("#who")
    text = page.inner_text("#app")
    assert "Derechos de aseo rol 123-45" not in text
    assert "Patente comercial rol 4-000123" not in text
    assert page.js_errors == []


def test_a_callback_with_a_foreign_state_is_refused(running_stack, browser):
    page = new_page(browser, PHONE)
    page.goto(f"{running_stack.url('console')}/mis-pagos/?code=abcdefgh123&state=not-the-one-we-sent-xx")
    expect(page.locator(".error")).to_contain_text("state")
    assert page.locator("#signin").is_visible()
    assert page.js_errors == []


def test_a_citizen_opts_in_to_reminders(running_stack, browser):
    page = new_page(browser, PHONE, timeout_ms=30_000)
    sign_in(page, running_stack)
    expect(page.locator("#reminder-status")).to_contain_text("No tiene recordatorios")
    page.fill("#reminder-email", "maria.perez@ciudadano.demo")
    page.uncheck("#reminder-all")
    # The patente stays open in every e2e test (test_payment_flow's payment of it is rejected).
    patente = page.locator('.reminder-debt[value="PAT-2027-1-000123"]')
    patente.check()
    page.click("#reminder-save")
    expect(page.locator("#reminder-status")).to_contain_text("activos a maria.perez@ciudadano.demo")
    page.reload()
    expect(page.locator("#reminder-status")).to_contain_text("activos a maria.perez@ciudadano.demo")
    assert patente.is_checked()
    assert not page.locator("#reminder-all").is_checked()
    page.click("#reminder-stop")
    expect(page.locator("#reminder-status")).to_contain_text("No tiene recordatorios")
    assert page.js_errors == []


def put_debt_due_soon(stack):
    """A debt of María's in 13101 due in three days, written to the stack's table (as a roll
    upload would), so that the running worker has a reminder to send."""
    from datetime import date, timedelta

    import boto3

    from chalicelib.adapters.debts_repo import DebtRepository

    dynamodb = boto3.resource("dynamodb", endpoint_url=stack.url("moto"), region_name="us-east-1",
                              aws_access_key_id="local-moto-not-a-secret",
                              aws_secret_access_key="local-moto-not-a-secret")
    name = next(t for t in dynamodb.meta.client.list_tables()["TableNames"] if "data" in t.lower())
    due = (date.today() + timedelta(days=3)).isoformat()
    dynamodb.Table(name).put_item(Item=DebtRepository.row("13101", {
        "debt_id": "ASE-E2E-REMINDER", "rut": "12345678-5", "type": "aseo", "status": "open", "amount": 12_345,
        "description": "Derechos de aseo rol 999-1, cuota de prueba", "period": "2027-Q1", "due_date": due}))


def test_a_reminder_is_sent_and_the_municipality_sees_it_in_its_log(running_stack, browser):
    put_debt_due_soon(running_stack)
    page = new_page(browser, PHONE, timeout_ms=30_000)
    sign_in(page, running_stack)
    page.fill("#reminder-email", "maria.perez@ciudadano.demo")
    page.check("#reminder-all")
    page.click("#reminder-save")
    expect(page.locator("#reminder-status")).to_contain_text("activos a maria.perez@ciudadano.demo")

    console = new_page(browser, timeout_ms=30_000)
    official_sign_in(console, running_stack, "tesorero@munistgo.demo")
    console.goto(f"{running_stack.url('console')}/#/recordatorios")
    for _ in range(40):  # the local worker sends reminders every minute
        console.wait_for_selector(".page-header h1")
        console.wait_for_selector("table.data, p.empty")
        if console.locator("table.data", has_text="ASE-E2E-REMINDER").count():
            break
        console.wait_for_timeout(3000)
        console.reload()
    row = console.locator("table.data tr", has_text="ASE-E2E-REMINDER")
    expect(row).to_contain_text("Antes del vencimiento")
    expect(row).to_contain_text("Enviado")
    expect(row).to_contain_text("m***@ciudadano.demo")
    expect(row).to_contain_text("$12.345")
    page.click("#reminder-stop")
    expect(page.locator("#reminder-status")).to_contain_text("No tiene recordatorios")
    assert page.js_errors == []
    assert console.js_errors == []
