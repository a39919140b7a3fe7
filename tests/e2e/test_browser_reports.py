"""Issue 9 in a real browser (Debian's chromium through Playwright) against the running local stack:

- a planted settlement discrepancy: the administrador municipal of 13101 loads a roll with two
  debts (admin API), a citizen pays both (public API + TGR simulator), and the simulator writes the
  day's settlement leaving one order out and changing the other's amount; the local worker ingests
  it. The treasurer opens the day in "Conciliación", sees the consolidation and both discrepancies,
  opens the missing one, comments, resolves it with a note, sees it resolved, and reconciles the
  day again (the resolution stands);
- the central administrator, after `devstack.history` filled two years of counters, opens
  "Estadísticas" (the sentence with the year-over-year change, charts), downloads the CSV and the
  PDF (a real PDF), and opens a municipality's "Informes".

Screenshots go to /tmp/console-{reconciliation,discrepancy,national,reports}.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import admin, id_token, load_roll, sign_in
from tests.support.e2e.portal import pay

ADMIN = "administrador.municipal@munistgo.demo"
TREASURER = "tesorero@munistgo.demo"
CENTRAL = "administrador.subdere@subdere.demo"
ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(scope="module")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A stack of this module's own: two years of generated history make moto slow for every test
    that would come after it in a shared stack."""
    from tests.support.e2e.stack import start_stack

    stack = start_stack(tmp_path_factory.mktemp("reports-stack-logs"))
    yield stack
    stack.stop()

# -- the API side ------------------------------------------------------------------------------------

def chile_today() -> str:
    from chalicelib import wiring

    return datetime.now(wiring.SANTIAGO).date().isoformat()


def dmy(iso: str) -> str:
    return f"{iso[8:10]}-{iso[5:7]}-{iso[:4]}"


def clp(amount: int) -> str:
    return f"${amount:,}".replace(",", ".")


# -- the treasurer and the planted discrepancy ------------------------------------------------------

def test_the_treasurer_sees_and_resolves_a_planted_discrepancy(running_stack: Any, browser: Any) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    missing_debt, changed_debt = f"ASE-REC-{tag}", f"PAT-REC-{tag}"
    load_roll(running_stack, [(missing_debt, "aseo", 23_450), (changed_debt, "patente", 186_250)])
    missing = pay(running_stack, missing_debt, "debito")
    changed = pay(running_stack, changed_debt, "credito")
    day = missing["paid_at"][:10]  # TGR's paid day, Chile's time: the day the settlement covers

    # TGR's settlement of the day leaves one order out and credits the other 1.500 less.
    settled = requests.post(f"{running_stack.url('tgr')}/simulator/settlements", timeout=30, json={
        "municipality": "13101", "date": day, "omit": [missing["order_id"]],
        "amount_delta": {changed["order_id"]: -1500}})
    assert settled.status_code == 201, settled.text
    assert settled.json()["uploaded"] is True, settled.json()
    assert missing["order_id"] not in settled.json()["csv"]

    # The worker runner polls the uploads bucket every few seconds and reconciles the day.
    token = id_token(running_stack, TREASURER)
    path = f"/v1/admin/municipalities/13101/reconciliation/{day}"
    deadline = time.monotonic() + 30
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = admin(running_stack, token, "GET", path).json()
        found = {d["payment_id"]: d for d in view.get("discrepancies", [])}
        if missing["payment_id"] in found:
            break
        time.sleep(0.5)
    assert missing["payment_id"] in found, f"the settlement was not reconciled within 30 s: {view}"
    discrepancy = found[missing["payment_id"]]
    assert discrepancy["kind"] == "missing_in_settlement"
    assert discrepancy["status"] == "open"

    page = new_page(browser, timeout_ms=20_000)
    sign_in(page, running_stack, TREASURER)
    page.click("a[data-path='conciliacion']")
    page.wait_for_selector("#recon-status")
    page.fill("#recon-day", day)
    page.click("#recon-show")
    page.wait_for_url(re.compile(rf"dia={day}"))
    page.wait_for_selector("#recon-status[data-status='con_diferencias']")
    assert dmy(day) in page.inner_text(".page-header")
    assert "Con diferencias" in page.inner_text("#recon-status")
    assert "Fondo Común Municipal" in page.inner_text("#recon-kpi-fcm")
    assert "62,5%" in page.inner_text("#recon-kpi-fcm")
    services = page.inner_text("#recon-services")
    assert "Derechos de aseo" in services
    assert "Patentes municipales" in services
    table = page.locator("#recon-discrepancies")
    row = table.locator("tbody tr", has_text=missing["payment_id"])
    assert "En la plataforma, no en la rendición" in row.inner_text()
    assert missing["order_id"] in row.inner_text()
    assert clp(missing["amount"]) in row.inner_text()
    assert "Abierta" in row.inner_text()
    if changed["paid_at"][:10] == day:  # both paid the same day (not across midnight)
        other = table.locator("tbody tr", has_text=changed["payment_id"]).inner_text()
        assert "Monto distinto" in other
        assert "-$1.500" in other
    page.screenshot(path="/tmp/console-reconciliation.png", full_page=True)

    # Open it: its history, a comment, the resolution with a note.
    row.get_by_role("link").click()
    page.wait_for_selector("#disc-history")
    assert missing["payment_id"] in page.inner_text("#disc-detail")
    assert "Diferencia detectada" in page.inner_text("#disc-history")
    comment = f"Consultado a TGR el {dmy(day)}: el abono llega en la rendición siguiente ({tag})."
    page.fill("#disc-comment", comment)
    page.click("#disc-comment-send")
    page.wait_for_selector("text=Comentario agregado.")
    assert comment in page.inner_text("#disc-history")
    note = f"TGR confirmó el abono de la orden {missing['order_id']}; se reclamó su omisión en la rendición."
    page.select_option("#disc-outcome", "reclamo_tgr")
    page.fill("#disc-note", note)
    page.click("#disc-resolve")
    page.wait_for_selector("text=Diferencia resuelta.")
    assert "Resuelta" in page.inner_text("#disc-status")
    history = page.inner_text("#disc-history")
    assert "Diferencia resuelta: Reclamo a TGR" in history
    assert note in history
    assert comment in history
    assert TREASURER in history
    assert page.locator("#disc-resolve").count() == 0  # nothing left to resolve
    page.screenshot(path="/tmp/console-discrepancy.png", full_page=True)

    # Back to the day; reconciling again leaves a resolved discrepancy resolved.
    page.click("a.back")
    page.wait_for_selector("#recon-discrepancies")
    page.click("#recon-run")
    page.wait_for_selector("text=Se volvió a conciliar el día")
    page.wait_for_selector("#recon-discrepancies")
    row = page.locator("#recon-discrepancies tbody tr", has_text=missing["payment_id"])
    assert "Resuelta" in row.inner_text()
    stored = {d["payment_id"]: d for d in admin(running_stack, token, "GET", path).json()["discrepancies"]}
    assert stored[missing["payment_id"]]["status"] == "resolved"
    assert [e["type"] for e in stored[missing["payment_id"]]["events"]] == ["detected", "comment", "resolved"]
    assert not page.js_errors, page.js_errors
    page.context.close()


# -- the central administrator's reports ------------------------------------------------------------

def generate_history(stack: Any) -> None:
    """Two years of synthetic counters up to yesterday (Chile), written into the stack's moto (~4 s)."""
    yesterday = (datetime.fromisoformat(chile_today()) - timedelta(days=1)).date().isoformat()
    env = {**os.environ, "AWS_ENDPOINT_URL": stack.url("moto")}
    env.pop("SEM_TABLE_NAME", None)  # found from the stack's CloudFormation outputs
    result = subprocess.run([sys.executable, "-m", "devstack.history", "--years", "2", "--seed", "9",
                             "--end", yesterday], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_central_administrator_downloads_the_pdf_report(running_stack: Any, browser: Any) -> None:
    from playwright.sync_api import expect

    generate_history(running_stack)
    year = int(chile_today()[:4])
    page = new_page(browser, timeout_ms=20_000)
    sign_in(page, running_stack, CENTRAL, "#/estadisticas")  # straight there: the dashboard would ask the API too
    assert page.get_attribute("a[data-path='estadisticas']", "aria-current") == "page"
    page.wait_for_selector("#national-sentence", timeout=40_000)
    sentence = page.inner_text("#national-sentence .headline-text")
    assert re.fullmatch(rf"\d+ municipios, [\d.]+ transacciones, \$[\d.]+, [+-]\d+% sobre la misma fecha de {year - 1}",
                        sentence), sentence
    assert "▲" in page.inner_text("#national-kpi-amount") or "▼" in page.inner_text("#national-kpi-amount")
    assert page.locator("svg.chart-columns rect.series-b").count() == 12  # last year's months beside this year's
    page.screenshot(path="/tmp/console-national.png", full_page=True)

    with page.expect_download() as csv_info:
        page.click("#national-csv")
    csv_text = Path(csv_info.value.path()).read_text(encoding="utf-8")
    assert csv_text.startswith(f"\ufefftipo;etiqueta;municipios_{year};")

    with page.expect_download(timeout=40_000) as pdf_info:
        page.click("#national-pdf")
    download = pdf_info.value
    assert download.suggested_filename == f"estadisticas-sem-{year}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF"), pdf[:20]
    assert len(pdf) > 2000
    page.wait_for_selector("#national-pdf-link")

    # A municipality's report of last year (closed months: the reports' stored summaries, fast on
    # moto); the central level picks the municipality in the top bar.
    page.goto(f"{running_stack.url('console')}/#/informes?desde={year - 1}-01-01&hasta={year - 1}-12-31")
    page.wait_for_selector("text=Elija una municipalidad")
    page.select_option("#muni-picker", "13101")
    page.wait_for_selector("#report-table table", timeout=40_000)
    page.wait_for_selector("#report-kpi-amount")
    expect(page.locator("#report-body .loading")).to_have_count(0, timeout=40_000)
    assert "Total" in page.inner_text("#report-table")
    assert f"diciembre {year - 1}" in page.inner_text("#report-table")
    assert page.locator("#report-body svg.chart-columns rect.chart-col").count() >= 1
    page.click("button[data-metric='average_ticket']")
    assert page.get_attribute("button[data-metric='average_ticket']", "aria-pressed") == "true"
    page.screenshot(path="/tmp/console-reports.png", full_page=True)
    with page.expect_download() as report_info:
        page.click("#report-csv")
    assert Path(report_info.value.path()).read_text(encoding="utf-8").startswith(
        "\ufeffgrupo;etiqueta;recaudacion_clp;transacciones")
    assert not page.js_errors, page.js_errors
    page.context.close()
