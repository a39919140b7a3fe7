"""SEM's payment widget on a phone: the demo site's pagar.html embeds it with one <script> tag (the
municipality's code and portal key) under a CSP without 'unsafe-inline' or 'unsafe-eval'; it paints
itself in the municipality's colour from the API, labels every field, moves focus to what changed,
and a citizen pays a permit with it end to end through the TGR simulator."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.support.e2e.browser import new_page

PHONE = {"width": 390, "height": 844}


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two CSS `rgb(r, g, b)` colours."""
    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_page_embeds_the_widget_with_one_tag_under_a_strict_csp(running_stack):
    page = requests.get(f"{running_stack.url('demo_site')}/pagar.html?m=13101", timeout=10)
    assert page.status_code == 200
    tags = re.findall(r"<script\b[^>]*>", page.text)
    assert len(tags) == 1
    assert f'src="{running_stack.url("console")}/widget/v1/sem-pago.js"' in tags[0]
    assert 'data-municipio="13101"' in tags[0]
    csp = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    script = requests.get(f"{running_stack.url('console')}/widget/v1/sem-pago.js", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "eval(" not in script.text
    assert "new Function" not in script.text
    assert "innerHTML" not in script.text  # API data only ever goes in as text


def test_a_citizen_pays_a_permit_with_the_widget_on_a_phone(running_stack, browser):
    page = new_page(browser, PHONE, timeout_ms=20_000)
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{running_stack.url('demo_site')}/pagar.html?m=13101")

    expect(page.locator(".sem-pago .muni")).to_have_text("Municipalidad de Santiago")
    band = page.locator(".sem-pago .band")
    # 13101's colour as it stands now (the console's browser test rebrands it with a random one).
    profile = requests.get(f"{running_stack.url('api')}/v1/municipalities/13101", timeout=10).json()
    primary = profile["branding"]["primary_color"]
    background = band.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb({}, {}, {})".format(*(int(primary[i:i + 2], 16) for i in (1, 3, 5)))
    text = band.evaluate("e => getComputedStyle(e).color")
    assert contrast(text, background) >= 4.5, (text, background)  # WCAG AA for the band's text
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing scrolls sideways on a phone"

    page.get_by_label("Patente", exact=True).fill("bdfg-34")  # a plate no other test pays (docs/prerequisites.md)
    page.get_by_role("button", name="Consultar permiso").click()
    heading = page.locator(".sem-pago h4", has_text="Patente BDFG34")
    expect(heading).to_be_focused()
    result = page.locator(".sem-pago .result").first
    expect(result).to_contain_text("Renault Kwid 2022")
    expect(result).to_contain_text("Vehículo liviano")
    assert page.locator(".sem-pago .checks .badge", has_text="Al día").count() == 4
    page.get_by_label("Pago total").check()
    page.get_by_role("button", name="Agregar al carrito").first.click()
    expect(page.locator(".sem-pago #sem-cart-h")).to_be_focused()
    expect(page.locator(".sem-pago .cart")).to_contain_text("Permiso 2027 · BDFG34 · Pago total")
    expect(page.locator(".sem-pago .total")).to_contain_text(re.compile(r"Total: \$\d{1,3}(\.\d{3})+"))

    page.get_by_label("RUT de quien paga").fill("18.444.555-7")
    page.get_by_label("Nombre", exact=True).fill("Diego Salas Pino")
    page.get_by_label("Correo electrónico", exact=True).fill("diego.salas@ciudadano.demo")
    page.get_by_role("button", name="Pagar en la Tesorería").click()

    page.wait_for_url(f"{running_stack.url('tgr')}/checkout/**")
    page.check('input[name="method"][value="debito"]')
    page.click('button[name="outcome"][value="approved"]')

    page.wait_for_url(f"{running_stack.url('demo_site')}/pagar.html**")
    status = page.locator(".sem-pago .status")
    expect(status).to_have_text("Pagado. ¡Gracias!", timeout=30_000)
    expect(page.locator(".sem-pago .folio")).to_have_text(re.compile(r"^13101-20\d\d-\d{6}$"), timeout=60_000)
    expect(page.locator(".sem-pago .total")).to_have_text("El carrito está vacío.")
    page.screenshot(path="/tmp/widget-paid.png", full_page=True)
    assert violations == []
    assert page.js_errors == []


def test_every_field_of_the_widget_has_a_label(running_stack, browser):
    page = new_page(browser, PHONE)
    page.goto(f"{running_stack.url('demo_site')}/pagar.html?m=13114")
    expect(page.locator(".sem-pago .muni")).to_have_text("Municipalidad de Las Condes")
    inputs = page.locator(".sem-pago input")
    assert inputs.count() >= 6
    for i in range(inputs.count()):
        labelled = inputs.nth(i).evaluate(
            "e => Boolean(e.labels && e.labels.length && e.labels[0].textContent.trim())")
        assert labelled, inputs.nth(i).evaluate("e => e.outerHTML")
    # the municipality's own colour, not Santiago's: branding comes from the API per code
    assert page.locator(".sem-pago .band").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 107, 58)"
    assert page.js_errors == []
