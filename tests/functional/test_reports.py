"""Reports against moto, from counters written by the synthetic history generator: figures equal
the generator's known totals, the central year-over-year, CSV and the PDF with charts; the admin
routes with their permissions (foreign municipality 403)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from datetime import date, timedelta

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.stats_repo import StatsRepository
from chalicelib.documents.report_pdf import central_pdf
from chalicelib.services import reports
from devstack import history
from tests.support.officials import id_token

REAL_TODAY = date.today()
END = date(REAL_TODAY.year - 1, 6, 2)  # the history's last day: long closed, whatever today is
YEAR = END.year
CODES = ["13101", "12101"]


class CountingStats(StatsRepository):
    def __init__(self, table):
        super().__init__(table)
        self.calls = {"day": 0, "months": 0}

    def day_cells(self, owner, day):
        self.calls["day"] += 1
        return super().day_cells(owner, day)

    def month_summaries(self, owner, year, first_month, last_month):
        self.calls["months"] += 1
        return super().month_summaries(owner, year, first_month, last_month)


@pytest.fixture(scope="module")
def world(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    generated = history.generate(2, seed=7, end=END, municipalities=CODES, sample_day_payments=3)
    history.write(generated, wiring.data_table(), boto3.client("dynamodb"), today=END + timedelta(days=1))
    with Client(app, stage_name="test") as client:
        yield {"history": generated, "client": client, "env": shared_demo_stack_with_users["env"],
               "facts": shared_demo_stack_with_users}


def context(today=END + timedelta(days=1)):
    return reports.ReportsContext(stats=CountingStats(wiring.data_table()), today=today)


def test_a_year_by_month_equals_the_generated_totals_in_one_query(world):
    h, ctx = world["history"], context()
    first, last = date(YEAR - 1, 1, 1), date(YEAR - 1, 12, 31)
    report = reports.municipal_report("13101", first, last, "month", ctx)
    assert ctx.stats.calls == {"day": 0, "months": 1}
    assert len(report["rows"]) == 12
    for row in report["rows"]:
        y, m = int(row["key"][:4]), int(row["key"][5:])
        expected = h.total("13101", date(y, m, 1), reports.month_end(y, m))
        assert (row["amount"], row["payments"]) == (expected["amount"], expected["payments"]), row["key"]
    assert report["totals"]["amount"] == h.total("13101", first, last)["amount"]
    march = report["rows"][2]["amount"]
    assert march > 3 * report["rows"][9]["amount"]  # the March peak of permits
    assert report["rows"][2]["label"] == f"marzo {YEAR - 1}"


def test_open_days_come_from_the_daily_counters(world):
    h, ctx = world["history"], context()
    first = END - timedelta(days=9)
    by_service = reports.municipal_report("12101", first, END, "service", ctx)
    assert ctx.stats.calls["day"] == END.day  # the days of the month not yet closed
    for row in by_service["rows"]:
        assert row["amount"] == h.total("12101", first, END, service=row["key"])["amount"]
    by_method = reports.municipal_report("12101", first, END, "method", context())
    assert by_method["totals"] == by_service["totals"]
    t = by_service["totals"]
    assert t["average_ticket"] == round(t["amount"] / t["payments"])
    text = reports.municipal_csv(by_service)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["grupo", "etiqueta", "recaudacion_clp"]
    assert rows[-1][2] == str(t["amount"])


def test_the_central_report_compares_with_the_same_date_of_the_previous_year(world):
    h = world["history"]
    report = reports.central_report(YEAR, context(), as_of=END)
    cur = h.total(None, date(YEAR, 1, 1), END)
    prev = h.total(None, date(YEAR - 1, 1, 1), END.replace(year=YEAR - 1))
    assert (report["current"]["amount"], report["current"]["payments"]) == (cur["amount"], cur["payments"])
    assert (report["previous"]["amount"], report["previous"]["payments"]) == (prev["amount"], prev["payments"])
    assert report["current"]["municipalities"] == 2
    change = reports.change_percent(cur["amount"], prev["amount"])
    assert change is not None
    assert change > 0
    assert report["sentence"] == (f"2 municipios, {reports.thousands(cur['payments'])} transacciones, "
                                  f"${reports.thousands(cur['amount'])}, +{change}% sobre la misma fecha de {YEAR - 1}")
    assert "transacciones_" in reports.central_csv(report).splitlines()[0]


def test_the_platforms_closed_days_of_an_open_month_are_derived_once_and_stored(world):
    h = world["history"]
    listed = StatsRepository(wiring.data_table()).municipality_codes()
    assert set(CODES) <= set(listed)
    june = date(YEAR, 6, 1)  # closed on END + 1 (two days behind), its month still open
    table = wiring.data_table()
    table.transact([{"delete": (table_keys.stats_rollup(reports.PLATFORM, YEAR), f"DAY#{june.isoformat()}")}])
    first = context()
    report = reports.central_report(YEAR, first, as_of=END)
    assert first.stats.calls["day"] == len(listed) * 2  # June 1 and 2, every listed municipality
    stored = first.stats.day_summaries(reports.PLATFORM, june.isoformat(), END.isoformat())
    assert [item["sk"] for item in stored] == [f"DAY#{june.isoformat()}"]
    again = context()
    assert reports.central_report(YEAR, again, as_of=END) == report
    assert again.stats.calls["day"] == len(listed)  # only the open day, June 2, from the counters
    assert report["current"]["amount"] == h.total(None, date(YEAR, 1, 1), END)["amount"]


def test_the_pdf_report_renders_with_its_figures(world):
    report = reports.central_report(YEAR, context(), as_of=END)
    pdf = central_pdf(report, generated_at="01-01-2030 10:00")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text is not checked")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert reports.thousands(report["current"]["payments"]) in text
    assert "Recaudación por mes" in text
    assert f"Estadísticas de operación {YEAR}" in text
    assert reports.thousands(report["current"]["amount"]) in text


# -- routes --------------------------------------------------------------------------------------

def call(world, method, path, email, payload=None):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {id_token(world['facts'], email)}"}
    kwargs = {"body": json.dumps(payload).encode()} if payload is not None else {}
    response = getattr(world["client"].http, method)(path, headers=headers, **kwargs)
    body = response.body.decode() if isinstance(response.body, bytes) else response.body
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    return response.status_code, json.loads(body) if is_json else body


def test_report_routes_and_their_permissions(world):
    h = world["history"]
    path = f"/v1/admin/municipalities/13101/reports?from={YEAR}-01-01&to={END}&group=month"
    status, body = call(world, "get", path, "tesorero@munistgo.demo")
    assert status == 200, body
    assert body["totals"]["amount"] == h.total("13101", date(YEAR, 1, 1), END)["amount"]
    status, text = call(world, "get", path + "&format=csv", "operador.transito@munistgo.demo")
    assert status == 200
    assert text.lstrip("\ufeff").startswith("grupo;etiqueta")
    status, body = call(world, "get", path.replace("13101", "13114"), "tesorero@munistgo.demo")
    assert (status, body["error"]["code"]) == (403, "other_municipality")
    status, body = call(world, "get", f"/v1/admin/municipalities/13101/reports?from={END}&to={YEAR - 2}-01-01",
                        "tesorero@munistgo.demo")
    assert (status, body["error"]["field"]) == (400, "to")
    central = f"/v1/admin/central/reports?year={YEAR}&as_of={END}"
    status, body = call(world, "get", central, "tesorero@munistgo.demo")
    assert (status, body["error"]["code"]) == (403, "permission_denied")
    status, body = call(world, "get", central, "administrador.subdere@subdere.demo")
    assert status == 200
    assert body["current"]["amount"] == h.total(None, date(YEAR, 1, 1), END)["amount"]
    status, body = call(world, "get", central + "&format=pdf", "soporte@subdere.demo")
    assert status == 200, body
    pdf = boto3.client("s3").get_object(Bucket=os.environ["SEM_UPLOADS_BUCKET"], Key=body["key"])["Body"].read()
    assert pdf.startswith(b"%PDF")
    assert body["download_url"].startswith("http")
    assert body["key"].startswith(f"00000/reports/central/{YEAR}/")


def test_reconciliation_routes_plant_see_comment_and_resolve(world):
    from chalicelib.domain.reconciliation import format_settlement
    from chalicelib.services.settlements import ingest_settlement

    code, day = "13101", END.isoformat()
    sample = [p for p in world["history"].payments if p["municipality"] == code]
    lines = [history_line(p) for p in sample[1:]]  # the first payment is left out: a planted discrepancy
    key = f"{code}/settlements/{day}/rendicion.csv"
    boto3.client("s3").put_object(Bucket=os.environ["SEM_UPLOADS_BUCKET"], Key=key,
                                  Body=format_settlement(code, day, f"{day}T23:00:00-04:00", lines))
    assert ingest_settlement(key, wiring.reconciliation_context())["reconciliation"]["open"] == 1
    base = f"/v1/admin/municipalities/{code}/reconciliation/{day}"
    status, view = call(world, "get", base, "director.finanzas@munistgo.demo")
    assert status == 200
    assert view["status"] == "con_diferencias"
    (discrepancy,) = view["discrepancies"]
    assert discrepancy["payment_id"] == sample[0]["payment_id"]
    item = f"{base}/discrepancies/{discrepancy['discrepancy_id']}"
    assert call(world, "get", base, "operador.transito@munistgo.demo")[0] == 403
    assert call(world, "get", base.replace("/13101/", "/13114/"), "tesorero@munistgo.demo")[0] == 403
    assert call(world, "post", f"{item}/comments", "soporte@subdere.demo", {"text": "hola"})[0] == 403
    status, event = call(world, "post", f"{item}/comments", "operador.rentas@munistgo.demo",
                         {"text": "Revisando con TGR."})
    assert status == 201
    assert event["type"] == "comment"
    assert call(world, "post", f"{item}/resolve", "operador.rentas@munistgo.demo",
                {"outcome": "aclarada", "note": "ok ok"})[0] == 403
    status, resolved = call(world, "post", f"{item}/resolve", "tesorero@munistgo.demo",
                            {"outcome": "reclamo_tgr", "note": "Reclamado a TGR."})
    assert status == 200
    assert resolved["status"] == "resolved"
    status, body = call(world, "post", f"{item}/resolve", "tesorero@munistgo.demo",
                        {"outcome": "otra", "note": "otra vez"})
    assert (status, body["error"]["code"]) == (409, "discrepancy_not_open")
    assert call(world, "post", f"{base}/discrepancies/nope/comments", "tesorero@munistgo.demo",
                {"text": "x"})[0] == 404
    status, consolidated = call(world, "get", f"/v1/admin/municipalities/{code}/consolidation/{day}",
                                "alcalde@munistgo.demo")
    assert status == 200, consolidated
    expected = world["history"].total(code, END, END)
    assert consolidated["totals"]["amount"] == expected["amount"]
    assert consolidated["reconciliation"]["status"] == "conciliado"  # its one difference is resolved
    assert call(world, "get", f"/v1/admin/municipalities/{code}/consolidation/2027-02-30",
                "alcalde@munistgo.demo")[0] == 400


def history_line(record):
    from chalicelib.domain.reconciliation import SettlementLine

    return SettlementLine(record["order_id"], record["payment_id"], record["amount"], record["method"], "1",
                          record["paid_at"])
