"""Citizens' rights requests in the officials' console, in a real browser against the running
stack (docs/personal-data.md): the administrador municipal of 13101 files an access request after
checking the person's identity, downloads the JSON of everything held about the RUN, and closes
the request; the steps are listed; the audit page names them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import sign_in

ADMIN = "administrador.municipal@munistgo.demo"


def test_an_access_request_is_filed_answered_and_closed_in_the_console(running_stack: Any, browser: Any):
    page = new_page(browser, timeout_ms=30_000)
    sign_in(page, running_stack, ADMIN, "#/derechos")
    assert "Derechos ARCO" in page.inner_text(".page-header h1")

    page.select_option("#rights-new select[name=kind]", "access")
    page.fill("#rights-rut", "12.345.678-5")
    page.fill("#rights-name", "María Pérez Soto")
    page.fill("#rights-contact", "maria.perez@ciudadano.demo")
    page.click("#rights-new button[type=submit]")  # identity not checked yet: refused
    page.wait_for_selector("text=verifique la identidad")
    page.check("#rights-verified")
    page.click("#rights-new button[type=submit]")
    page.wait_for_selector("text=Solicitud ingresada")

    page.locator("table a", has_text="Abrir").first.click()
    page.wait_for_selector("text=Tramitar")
    assert "12.345.678-5" in page.content()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Generar y descargar datos (JSON)").click()
    document = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert document["rut"] == "12.345.678-5"
    assert document["municipality"] == "13101"
    assert document["debts"], "the demo RUN owes Santiago"
    assert all("pk" not in d for d in document["debts"])

    page.wait_for_selector("text=Datos entregados")
    page.get_by_role("button", name="Cerrar solicitud").click()
    page.wait_for_selector("text=Cerrada")
    assert page.get_by_role("button", name="Cerrar solicitud").count() == 0

    page.goto(f"{running_stack.url('console')}/#/auditoria")
    page.wait_for_selector("text=Entregó los datos de un titular")
    assert page.js_errors == []
