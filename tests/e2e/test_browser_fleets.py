"""Fleets in a real browser on a phone, against the running stack (SOAP simulator, TGR simulator,
receipts worker): the representative of the demo company signs in through the ClaveÚnica
simulator, uploads a 20-plate CSV, sees the quotes come in with a progress bar, pays — one TGR
payment per municipality — and downloads the receipts, each listing every plate it paid."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from devstack import demo_data
from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import sign_in as official_sign_in
from tests.support.pdfs import page_text

PHONE = {"width": 390, "height": 844}
ANA = "11111111-1"  # represents Transportes Cordillera SpA (devstack/demo_data.py)


def sign_in(page, stack, run):
    page.goto(f"{stack.url('console')}/flotas/")
    page.click("#signin")
    page.wait_for_url(f"{stack.url('claveunica')}/openid/authorize**")
    page.click(f'button[name="run"][value="{run}"]')
    page.wait_for_url(f"{stack.url('console')}/flotas/**")


def test_a_representative_pays_a_20_plate_fleet_and_gets_one_receipt_per_municipality(running_stack, browser,
                                                                                      tmp_path):
    page = new_page(browser, PHONE, timeout_ms=60_000)
    sign_in(page, running_stack, ANA)
    expect(page.locator("#company")).to_contain_text("Transportes Cordillera SpA")
    assert "11.111.111-1" in page.inner_text("#who")

    csv_file = tmp_path / "flota.csv"
    csv_file.write_text(demo_data.fleet_csv() + "B1;13101\nFLTC10;13101\n", encoding="utf-8")
    page.set_input_files("#csv", str(csv_file))
    page.click("#upload-csv")
    expect(page.locator("#csv-result")).to_contain_text("20 patentes agregadas")
    errors = page.locator("#csv-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("Fila 22:")
    expect(errors.nth(1)).to_contain_text("Fila 23: la patente FLTC10 ya está en la fila 2.")
    expect(page.locator("#plates .plate-pick")).to_have_count(20)

    page.click("#quote-fleet")
    expect(page.locator("#quote-progress")).to_be_visible()
    expect(page.locator("#quote-progress-text")).to_contain_text("de 20")  # the bar moves page by page
    expect(page.locator("#quote-progress-text")).to_have_text("Cotizadas 20 de 20", timeout=120_000)
    assert page.locator("#quote-progress").get_attribute("max") == "20"
    expect(page.locator("#quotes li.quote")).to_have_count(20)
    expect(page.locator('#quotes li[data-payable="true"]')).to_have_count(18)
    blocked = page.locator('#quotes li[data-payable="false"]')
    expect(blocked).to_have_count(2)
    for plate in demo_data.FLEET_FAILING:
        expect(page.locator(f'#quotes li[data-plate="{plate}"] .reasons')).not_to_be_empty()
    expect(page.locator("#quote-summary")).to_contain_text("18 de 20 patentes se pueden pagar")
    page.screenshot(path="/tmp/flotas-cotizacion.png", full_page=True)

    page.fill("#fleet-email", "flota@cordillera.demo")
    page.click("#pay-fleet")
    checkouts = page.locator("#fleet-payments a.checkout")
    expect(checkouts).to_have_count(2, timeout=120_000)  # Santiago and Las Condes: one TGR payment each
    expect(page.locator("#fleet-payments li.fleet-payment").nth(0)).to_contain_text("12 patentes")
    expect(page.locator("#fleet-payments li.fleet-payment").nth(1)).to_contain_text("6 patentes")

    for remaining in (1, 0):  # pay each at TGR; TGR sends the representative back to the fleet page
        page.locator("a.checkout").first.click()
        page.wait_for_url(f"{running_stack.url('tgr')}/checkout/**")
        page.check('input[name="method"][value="debito"]')
        page.click('button[name="outcome"][value="approved"]')
        page.wait_for_url(f"{running_stack.url('console')}/flotas/**")
        expect(page.locator("#company-payments")).to_be_visible(timeout=30_000)
        for _ in range(30):  # TGR's notification marks the payment paid; the page then offers the next one
            if page.locator("#company-payments a.checkout").count() == remaining:
                break
            page.wait_for_timeout(1000)
            page.reload()
            expect(page.locator("#company-payments")).to_be_visible(timeout=30_000)
        expect(page.locator("#company-payments a.checkout")).to_have_count(remaining)

    # The worker issues each receipt; the page shows them once they are there.
    downloads = page.locator("#company-payments li.payment button.download")
    for _ in range(90):
        if downloads.count() == 2:
            break
        page.wait_for_timeout(1000)
        page.reload()
        expect(page.locator("#company-payments")).to_be_visible(timeout=30_000)
    expect(downloads).to_have_count(2)
    page.screenshot(path="/tmp/flotas-comprobantes.png", full_page=True)

    plates_seen: set[str] = set()
    for i in range(2):
        with page.expect_download() as info:
            downloads.nth(i).click()
        pdf = open(info.value.path(), "rb").read()  # noqa: SIM115 - read once
        assert pdf[:5] == b"%PDF-"
        text = page_text(pdf)
        listed = {p for p in demo_data.FLEET_OK if p in text}
        assert len(listed) in (12, 6), text[:500]
        plates_seen |= listed
        assert not any(p in text for p in demo_data.FLEET_FAILING)
    assert plates_seen == set(demo_data.FLEET_OK)
    assert page.js_errors == []


def test_a_citizen_who_represents_no_company_is_refused(running_stack, browser):
    page = new_page(browser, PHONE, timeout_ms=30_000)
    sign_in(page, running_stack, "12345678-5")
    expect(page.locator("#no-company")).to_contain_text("No figura como representante")
    token = page.evaluate("sessionStorage.getItem('sem.citizen.session')")
    answer = requests.get(f"{running_stack.url('api')}/v1/citizen/companies/76543210-3/plates",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "not_a_representative"
    assert page.js_errors == []


def test_a_treasurer_registers_and_revokes_a_representative_in_the_console(running_stack, browser):
    """Juan represents Buses Australes; the treasurer of Santiago registers him for Transportes
    Cordillera after checking a deed, and he then acts for it; revoked, he no longer does."""
    console = new_page(browser, timeout_ms=30_000)
    official_sign_in(console, running_stack, "tesorero@munistgo.demo")
    console.goto(f"{running_stack.url('console')}/#/representantes")
    console.fill("#rep-company", "76.543.210-3")
    console.fill("#rep-company-name", "Transportes Cordillera SpA")
    console.fill("#rep-run", "12.678.579-8")
    console.fill("#rep-deed", "Poder especial, 3ª Notaría de Santiago, 02-01-2027, repertorio 77-2027")
    console.click("#rep-register")
    expect(console.locator(".status-slot")).to_contain_text("Registrado: 12.678.579-8 representa a Transportes",
                                                            timeout=30_000)

    page = new_page(browser, PHONE, timeout_ms=30_000)
    sign_in(page, running_stack, "12678579-8")
    expect(page.locator("#company option")).to_have_count(2, timeout=30_000)
    expect(page.locator("#company")).to_contain_text("Transportes Cordillera SpA")

    console.click("#rep-revoke")
    expect(console.locator(".status-slot")).to_contain_text("Revocada la representación de 12.678.579-8",
                                                            timeout=30_000)
    page.reload()
    expect(page.locator("#company option")).to_have_count(1, timeout=30_000)
    expect(page.locator("#company")).not_to_contain_text("Cordillera")
    assert console.js_errors == []
    assert page.js_errors == []
