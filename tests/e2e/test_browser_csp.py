"""The console under its Content-Security-Policy and security headers, in a real browser against
the running local stack (devstack/console_server.py sends the headers production's CloudFront
sends; infra/console_headers.py): the responses carry them, and signing in, uploading a roll
(presigned PUT to S3), the branding preview (colours set through the CSSOM), the officials and
receipt-signer pages, the dashboard's charts and the payments search run with no CSP violation
reported by the browser."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.e2e.officials import sign_in

ADMIN = "administrador.municipal@munistgo.demo"
TREASURER = "tesorero@munistgo.demo"
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "Refused to")

# Collects every violation the page reports, before any of the console's scripts runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watched_page(browser: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(locale="es-CL", viewport={"width": 1366, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    # The local API serves one request at a time, and the dashboard the official lands on adds up
    # the year in the background: on two busy cores the next page may wait behind it.
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if any(w in m.text for w in CSP_WORDS) else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return page, problems


def violations(page: Any, problems: list[str]) -> list[str]:
    return problems + list(page.evaluate("window.__cspViolations"))


def test_console_responses_carry_the_security_headers(running_stack: Any, browser: Any):
    page, _ = watched_page(browser)
    for path in ("/", "/config.js", "/js/main.js", "/css/console.css"):
        response = page.request.get(running_stack.url("console") + path)
        headers = response.headers
        assert response.status == 200, path
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "frame-ancestors 'none'" in csp
        assert running_stack.url("api") in csp
        assert running_stack.url("moto") in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in headers["permissions-policy"]
        assert headers["strict-transport-security"].startswith("max-age=")
    page.context.close()


@pytest.mark.parametrize("official", [ADMIN, TREASURER])
def test_the_console_works_with_no_csp_violation(running_stack: Any, browser: Any, official: str):
    page, problems = watched_page(browser)
    sign_in(page, running_stack, official)
    if official == ADMIN:
        page.click("a[data-path='roles']")
        csv_text = ("debt_id;rut;type;description;period;due_date;amount\r\n"
                    f"ASE-CSP-{uuid.uuid4().hex[:8].upper()};12.345.678-5;aseo;Prueba CSP;2027-Q1;30-04-2027;"
                    "1.000\r\n")
        page.set_input_files("#roll-file", files=[{"name": "rol-csp.csv", "mimeType": "text/csv",
                                                    "buffer": csv_text.encode()}])
        page.click("#roll-upload")
        # This upload's own page (the list behind it may show earlier uploads as "Procesado").
        page.wait_for_selector("h1:has-text('rol-csp.csv')")
        page.wait_for_selector("text=Se cargaron 1 deudas sin errores.")
        page.click("a[data-path='configuracion']")
        page.wait_for_selector("#branding-form")
        page.fill("#branding-primary_color", "#336699")
        assert page.get_attribute("#receipt-preview", "data-primary") == "#336699"
        page.click("a[data-path='funcionarios']")
        page.wait_for_selector("#proposals table.data, #proposals .empty")
        page.click("a[data-path='firmante']")
        page.wait_for_selector("#signer-state")
    else:
        page.wait_for_selector("svg")  # the dashboard's charts
        page.click("a[data-path='pagos']")
        page.wait_for_selector("table.data, .empty, .notice")
    assert violations(page, problems) == []
    page.context.close()
