"""The central administrator imports an IPC month from the CMF (the local simulator) in the console,
sees it pending, confirms it, and only then does the table the computations read show it."""

from __future__ import annotations

from typing import Any

import requests

from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import id_token, sign_in

CENTRAL_ADMIN = "administrador.subdere@subdere.demo"
MONTH = "2030-04"  # a month no other test or demo value uses


def test_an_imported_month_is_used_only_after_the_console_confirms_it(running_stack: Any, browser: Any) -> None:
    published = requests.post(f"{running_stack.url('cmf')}/simulator/values", timeout=10,
                              json={"indicator": "ipc", "month": MONTH, "value": "0,2"})
    assert published.status_code == 200, published.text
    token = id_token(running_stack, CENTRAL_ADMIN)

    def table_months() -> list[str]:
        answer = requests.get(f"{running_stack.url('api')}/v1/admin/reference/ipc", timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return [m["month"] for m in answer.json()["months"]]

    page = new_page(browser)
    sign_in(page, running_stack, CENTRAL_ADMIN, "#/referencia?tabla=ipc")
    page.wait_for_selector("#import-month")
    page.fill("#import-month", MONTH)
    page.click("text=Importar desde la CMF")
    page.wait_for_selector("text=Importado: revise y confirme")
    page.wait_for_selector(f'button[data-confirm="{MONTH}"]')
    assert MONTH not in table_months()  # pending: no computation uses it yet

    page.click(f'button[data-confirm="{MONTH}"]')
    page.wait_for_selector("text=No hay meses importados pendientes de confirmación.")
    page.wait_for_selector("text=abril 2030")
    assert MONTH in table_months()
    assert not page.js_errors, page.js_errors
    page.context.close()
