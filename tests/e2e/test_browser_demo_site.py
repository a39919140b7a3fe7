"""A citizen pays a permit in a real browser: the demo municipal site → TGR's checkout → back,
where the payment shows as paid."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.e2e.browser import browser_page


def test_a_citizen_pays_a_permit_from_the_municipal_site(running_stack, tmp_path):
    with browser_page(viewport={"width": 390, "height": 844}) as page:  # a phone
        page.goto(running_stack.url("demo_site"))
        page.select_option("#muni-select", "13101")
        page.fill("#plate", "prst-67")  # a plate no other e2e test pays or expects unpaid
        page.fill("#year", "2027")
        page.click("#quote-btn")
        page.wait_for_selector("#quote-result:not([hidden])")
        assert "Suzuki" in page.inner_text("#vehicle")
        assert "P*** V***" in page.inner_text("#vehicle")
        assert_spanish_to_citizens(page)
        page.check('input[name="installment"][value="full"]')
        page.click("#add-permit")
        page.fill("#payer-rut", "12.345.678-5")
        page.fill("#payer-name", "María Pérez Soto")
        page.fill("#payer-email", "maria.perez@ciudadano.demo")
        page.click("#pay-btn")

        page.wait_for_url(f"{running_stack.url('tgr')}/checkout/**")
        assert "$" in page.content()
        page.check('input[name="method"][value="credito"]')
        page.click('button[name="outcome"][value="approved"]')

        page.wait_for_url(f"{running_stack.url('demo_site')}/retorno.html**")
        expect(page.locator("#status")).to_contain_text("pagado", ignore_case=True, timeout=30_000)
        page.screenshot(path="/tmp/demo-retorno.png", full_page=True)
        assert "pagado" in page.inner_text("#status").lower()


def test_the_privacy_notice_is_one_click_from_the_municipal_site(running_stack):
    with browser_page() as page:
        page.goto(running_stack.url("demo_site"))
        page.select_option("#muni-select", "13101")
        link = page.locator("#privacy-link")
        assert link.get_attribute("href") == f"{running_stack.url('api')}/v1/privacy?municipality=13101"
        link.click()
        page.wait_for_url("**/v1/privacy?municipality=13101")
        assert "Aviso de privacidad" in page.inner_text("h1")
        assert "Responsable: Municipalidad de Santiago" in page.content()


# What the API returns for programs and a citizen must never read: its keys and enum values.
RAW = re.compile(r"\b(source[ _]name|covered[ _]until|valid[ _]from|valid[ _]to|checked[ _]at|required[ _]from|"
                 r"policy[ _]number|plant[ _]code|light|combustion|electric|plugin[ _]hybrid|ok|failed|unavailable|"
                 r"insurance|inspection|emissions|fines|vehicle[ _]class|propulsion|null|undefined|true|false)\b",
                 re.IGNORECASE)


def assert_spanish_to_citizens(page):
    """The quote in Spanish: the vehicle's class and propulsion, each check a status with its reason,
    the evidence (opened on demand) labelled in Spanish; no key or enum value of the API shows."""
    vehicle = page.inner_text("#vehicle")
    for words in ("Tipo de vehículo", "Vehículo liviano", "Propulsión", "Combustión"):
        assert words in vehicle
    rows = page.locator("#checks tr")
    assert rows.count() == 4
    for i in range(4):
        assert rows.nth(i).locator(".badge").inner_text() in ("Al día", "No cumple", "No disponible")
        assert rows.nth(i).locator(".reason").inner_text().strip()
    evidence = page.locator("#checks details")
    assert evidence.count() == 4
    assert not page.locator("#checks .evidence").first.is_visible()  # on demand
    for i in range(evidence.count()):
        evidence.nth(i).locator("summary").click()
    text = page.inner_text("#checks")
    for words in ("Fuente", "Asociación de Aseguradores de Chile", "Consultado el", "Póliza SOAP", "Vigente hasta"):
        assert words in text
    shown = page.inner_text("#quote-result")
    assert not RAW.findall(shown), f"raw API keys or values shown to citizens: {RAW.findall(shown)}"
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown), "dates must read dd-mm-aaaa"
