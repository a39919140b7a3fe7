"""Settlement files and reconciliation against moto: ingestion through the queue handler and the
local poller, each kind of discrepancy, files twice, corrected, out of order and late, comments
and resolution that append, the day's consolidation, and the TGR simulator's settlement files."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.domain.errors import Conflict
from chalicelib.domain.payments import new_payment_id
from chalicelib.domain.reconciliation import SettlementLine, format_settlement, parse_settlement
from chalicelib.services import reconciliation as recon
from chalicelib.services.settlements import ingest_settlement, poll_new_settlements
from chalicelib.worker import settlements as worker
from devstack.history import paid_payment_record

SANTIAGO = ZoneInfo("America/Santiago")
CODE = "13101"


@pytest.fixture(scope="module")
def ctx(shared_demo_stack):
    context = wiring.reconciliation_context()
    context.clock = lambda: datetime(2027, 4, 2, 9, 0, tzinfo=SANTIAGO)
    return context


_serial = iter(range(1, 10_000))


def paid(day: str, amount: int, *, created: str | None = None, code: str = CODE) -> dict[str, Any]:
    n = next(_serial)
    payment_id = new_payment_id(code, 1_800_000_000_000 + n, n.to_bytes(10, "big"))
    record = paid_payment_record(code, payment_id, order_id=f"TGR-{day.replace('-', '')}-{n:06d}", amount=amount,
                                 method="credito", paid_at=f"{day}T10:{n % 60:02d}:00-03:00",
                                 created_at=f"{created or day}T09:{n % 60:02d}:00-03:00", service="permisos")
    wiring.data_table().put(record)
    return record


def line_of(record: dict[str, Any], amount: int | None = None) -> SettlementLine:
    return SettlementLine(record["order_id"], record["payment_id"], record["amount"] if amount is None else amount,
                          record["method"], "123456", record["paid_at"])


def upload(day: str, name: str, lines: list[SettlementLine], generated_at: str, code: str = CODE) -> str:
    key = f"{code}/settlements/{day}/{name}"
    boto3.client("s3").put_object(Bucket=os.environ["SEM_UPLOADS_BUCKET"], Key=key,
                                  Body=format_settlement(code, day, generated_at, lines))
    return key


def s3_notification(key: str) -> str:
    return json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                    "s3": {"bucket": {"name": os.environ["SEM_UPLOADS_BUCKET"]},
                                           "object": {"key": key.replace(" ", "+")}}}]})


def kinds(view: dict[str, Any], status: str | None = "open") -> list[str]:
    return sorted(d["kind"] for d in view["discrepancies"] if status is None or d["status"] == status)


def test_each_discrepancy_kind_becomes_a_record_through_the_queue_handler(ctx):
    day = "2027-03-20"
    a, b, c = paid(day, 34_876), paid(day, 50_000), paid(day, 20_000, created="2027-03-19")
    paid("2027-03-21", 9_999, created=day)  # created that day, paid the next: not this day's
    key = upload(day, "rendicion_v1.csv", [line_of(a), line_of(c, 19_500), SettlementLine(
        "TGR-X", "13101-DESCONOCIDO-1", 7_000, "debito", "1", f"{day}T12:00:00-03:00")], "2027-03-21T06:00:00-03:00")
    results = worker.process_notification(s3_notification(key), ctx)
    assert [r["result"] for r in results] == ["ingested"]
    assert results[0]["reconciliation"]["status"] == "con_diferencias"
    view = recon.day_view(CODE, day, ctx)
    assert kinds(view) == ["amount_mismatch", "missing_in_settlement", "not_in_platform"]
    missing = next(d for d in view["discrepancies"] if d["kind"] == "missing_in_settlement")
    assert missing["payment_id"] == b["payment_id"]
    unknown = next(d for d in view["discrepancies"] if d["kind"] == "not_in_platform")
    assert "Observación" not in unknown["detail"]  # not a payment id of this municipality: nothing to look up
    assert view["settlement"]["version"] == 1
    assert all(d["events"][0]["type"] == "detected" for d in view["discrepancies"])
    # S3's test event and keys outside settlements/ change nothing
    assert worker.process_notification(json.dumps({"Event": "s3:TestEvent"}), ctx) == []
    assert [r["result"] for r in worker.process_notification(s3_notification(f"{CODE}/rolls/x.csv"), ctx)] == [
        "ignored"]


def test_twice_corrected_out_of_order_and_late(ctx):
    day = "2027-03-22"
    a, b = paid(day, 10_000), paid(day, 20_000)
    first = upload(day, "v1.csv", [line_of(a), line_of(b, 25_000)], "2027-03-23T06:00:00-03:00")
    assert ingest_settlement(first, ctx)["version"] == 1
    # the same bytes again, even under another name: nothing changes
    again = upload(day, "v1-copia.csv", [line_of(a), line_of(b, 25_000)], "2027-03-23T06:00:00-03:00")
    result = ingest_settlement(again, ctx)
    assert (result["result"], result["version"], result["first_key"]) == ("duplicate", 1, first)
    assert kinds(recon.day_view(CODE, day, ctx)) == ["amount_mismatch"]
    # TGR corrects the amount: version 2 in force, the mismatch is cleared (kept, with its history)
    corrected = upload(day, "v2.csv", [line_of(a), line_of(b)], "2027-03-24T06:00:00-03:00")
    assert ingest_settlement(corrected, ctx)["reconciliation"]["status"] == "conciliado"
    view = recon.day_view(CODE, day, ctx)
    assert kinds(view) == []
    assert kinds(view, "cleared") == ["amount_mismatch"]
    assert [e["type"] for e in view["discrepancies"][0]["events"]] == ["detected", "cleared"]
    # a stale file generated before the correction arrives last: recorded, not in force
    stale = upload(day, "v0.csv", [line_of(a)], "2027-03-22T23:00:00-03:00")
    assert ingest_settlement(stale, ctx)["version"] == 3
    view = recon.day_view(CODE, day, ctx)
    assert view["settlement"]["version"] == 2
    assert view["status"] == "conciliado"
    assert [f["version"] for f in view["files"]] == [1, 2, 3]
    # a late payment of that day (notification after the file): the next run shows it
    late = paid(day, 5_000)
    run = recon.reconcile_day(CODE, day, ctx, trigger="test")
    assert run["open"] == 1
    assert next(d for d in recon.day_view(CODE, day, ctx)["discrepancies"]
                if d["status"] == "open")["payment_id"] == late["payment_id"]


def test_a_day_without_its_file_waits_and_a_late_file_reconciles_it(ctx):
    day = "2027-03-25"
    a = paid(day, 12_000)
    assert recon.reconcile_day(CODE, day, ctx, trigger="cierre")["status"] == "sin_rendicion"
    assert recon.day_view(CODE, day, ctx)["discrepancies"] == []  # nothing flagged before the file
    key = upload(day, "tarde.csv", [line_of(a)], "2027-03-30T06:00:00-03:00")
    assert ingest_settlement(key, ctx)["reconciliation"]["status"] == "conciliado"


def test_a_bad_file_is_rejected_once_and_recorded(ctx):
    day = "2027-03-26"
    key = f"{CODE}/settlements/{day}/malo.csv"
    boto3.client("s3").put_object(Bucket=os.environ["SEM_UPLOADS_BUCKET"], Key=key, Body=b"no es una rendicion")
    assert ingest_settlement(key, ctx)["result"] == "rejected"
    assert ingest_settlement(key, ctx)["result"] == "duplicate"
    wrong_place = upload(day, "otro-dia.csv", [], "2027-03-27T06:00:00-03:00")
    boto3.client("s3").put_object(Bucket=os.environ["SEM_UPLOADS_BUCKET"], Key=wrong_place,
                                  Body=format_settlement(CODE, "2027-03-01", "2027-03-27T06:00:00-03:00", []))
    assert "encabezado" in ingest_settlement(wrong_place, ctx)["reason"]
    view = recon.day_view(CODE, day, ctx)
    assert view["status"] == "sin_rendicion"
    assert {f["status"] for f in view["files"]} == {"rejected"}


def test_comments_and_resolution_append_and_resolving_twice_is_refused(ctx):
    day = "2027-03-27"
    a = paid(day, 15_000)
    ingest_settlement(upload(day, "v1.csv", [], "2027-03-28T06:00:00-03:00"), ctx)
    (discrepancy,) = recon.day_view(CODE, day, ctx)["discrepancies"]
    assert discrepancy["payment_id"] == a["payment_id"]
    did = discrepancy["discrepancy_id"]
    recon.comment(CODE, day, did, "Consultado a TGR.", actor="tesorero@munistgo.demo", profile="tesorero", ctx=ctx)
    resolved = recon.resolve(CODE, day, did, outcome="reclamo_tgr", note="TGR lo incluirá mañana.",
                             actor="tesorero@munistgo.demo", profile="tesorero", ctx=ctx)
    assert resolved["status"] == "resolved"
    assert resolved["detail"] == discrepancy["detail"]
    with pytest.raises(Conflict):
        recon.resolve(CODE, day, did, outcome="otra", note="otra vez", actor="x@y.cl", profile="tesorero", ctx=ctx)
    events = recon.day_view(CODE, day, ctx)["discrepancies"][0]["events"]
    assert [e["type"] for e in events] == ["detected", "comment", "resolved"]
    # a later run leaves a resolved discrepancy resolved
    assert recon.reconcile_day(CODE, day, ctx, trigger="test")["open"] == 0
    audit = list(wiring.data_table().query_all(table_keys.audit(CODE, datetime.now().strftime("%Y-%m"))))
    assert {"reconciliation.comment", "reconciliation.resolve"} <= {a["action"] for a in audit}


def test_the_consolidation_reads_the_counters_and_computes_the_fcm_share(ctx):
    day = "2027-03-28"
    table = wiring.data_table()
    table.put({"pk": table_keys.stats(CODE, day), "sk": "permisos#credito", "amount": 100_000, "items": 2,
               "payments": 2})
    table.put({"pk": table_keys.stats(CODE, day), "sk": "aseo#debito", "amount": 21_480, "items": 1, "payments": 1})
    body = recon.consolidation(CODE, day, ctx)
    assert body["totals"]["amount"] == 121_480
    assert (body["distribution"]["fcm"], body["distribution"]["municipal_permits"]) == (62_500, 37_500)
    assert body["reconciliation"]["status"] == "sin_rendicion"


def test_the_poller_ingests_each_new_file_once(ctx):
    code, day = "13114", "2027-03-29"
    a = paid(day, 8_000, code=code)
    upload(day, "p1.csv", [line_of(a)], "2027-03-30T06:00:00-03:00", code=code)
    first = poll_new_settlements(ctx, [code])
    assert first["ingested"] == 1
    second = poll_new_settlements(ctx, [code])
    assert second["ingested"] == 0
    assert second["failed"] == 0
    upload(day, "p2.csv", [line_of(a, 8_100)], "2027-03-31T06:00:00-03:00", code=code)
    assert poll_new_settlements(ctx, [code])["ingested"] == 1
    assert kinds(recon.day_view(code, day, ctx)) == ["amount_mismatch"]


def test_the_simulator_writes_the_days_settlement_with_its_switches(shared_demo_stack, monkeypatch):
    from devstack.simulators.tgr import TgrSimulator

    monkeypatch.setenv("SEM_UPLOADS_BUCKET", shared_demo_stack["env"]["SEM_UPLOADS_BUCKET"])
    with TgrSimulator(["s"], port=0, notify_timeout_s=0.5) as sim:
        orders = []
        for n, amount in enumerate((34_876, 21_480, 186_250)):
            created = requests.post(f"{sim.url}/api/v1/orders", json={
                "merchant_reference": f"05101-SIM{n}", "municipality": "05101", "amount": amount, "currency": "CLP",
                "description": "x", "return_url": "http://127.0.0.1/r", "notify_url": "http://127.0.0.1:9/n"},
                timeout=5).json()
            sim.complete(created["order_id"], "approved", "debito")
            orders.append(created["order_id"])
        completed_at = sim.order(orders[0]).completed_at
        assert completed_at is not None
        day = completed_at.date().isoformat()
        answer = requests.post(f"{sim.url}/simulator/settlements", json={
            "municipality": "05101", "date": day, "omit": [orders[0]], "unknown": 1,
            "amount_delta": {orders[1]: -100}}, timeout=10)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        bad = requests.post(f"{sim.url}/simulator/settlements", json={"municipality": "05101", "date": "x"}, timeout=5)
        assert bad.status_code == 400
    parsed = parse_settlement(body["csv"].encode())
    by_order = {line.order_id: line for line in parsed.lines}
    assert orders[0] not in by_order
    assert by_order[orders[1]].amount == 21_380
    assert orders[2] in by_order
    assert len(parsed.lines) == 3
    assert body["uploaded"] is True
    stored = boto3.client("s3").get_object(Bucket=os.environ["SEM_UPLOADS_BUCKET"], Key=body["key"])["Body"].read()
    assert stored.decode() == body["csv"]
    assert body["key"].startswith(f"05101/settlements/{day}/rendicion-05101-")
