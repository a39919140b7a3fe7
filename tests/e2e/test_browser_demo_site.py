"""A citizen pays a permit in a real browser: the demo municipal site → TGR's checkout → back,
where the payment shows as paid."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browser import browser_page


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
