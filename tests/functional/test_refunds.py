"""Refunds, reversals and annulled receipts through the app, against moto and the TGR simulator.

Payments are created through the citizen route and paid at the simulator, whose signed
notifications reach the app through a loopback bridge (a small HTTP server that hands each request
to the Chalice test client), so the whole contract runs: SEM's refund order to the simulator, the
simulator's signed refund and reversal notifications back. Refunds are proposed by an operator,
authorized by the Tesorero with the advanced signature (one-time codes from the enrolled secret at
a clock that moves one TOTP step per code)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.refunds_repo import RefundRepository
from chalicelib.adapters.stats_repo import StatsRepository
from chalicelib.adapters.tgr_client import TgrClient
from chalicelib.domain import webhook_signature
from chalicelib.domain.errors import Conflict
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.services import refunds
from chalicelib.services.auth import Official
from devstack.demo_data import DEMO_RUT
from devstack.ports import free_port
from devstack.simulators.tgr import TgrSimulator
from tests.support.clocks import StepClock
from tests.support.officials import id_token

SANTIAGO = ZoneInfo("America/Santiago")
BASE = "/v1/admin/municipalities"
TESORERO = "tesorero@munistgo.demo"
OPERADOR = "operador.rentas@munistgo.demo"
SUBROGANTE = "tesorero.subrogante@munistgo.demo"
FOREIGN_TESORERO = "tesorero@lascondes.demo"
ORIGIN = "http://127.0.0.1"


class RecordingQueue:
    """The receipts queue, with the jobs sent to it written down."""

    def __init__(self, queue: Any, sent: list[dict[str, Any]]) -> None:
        self._queue, self._sent = queue, sent

    def send(self, message: dict[str, Any]) -> None:
        self._sent.append(message)
        self._queue.send(message)


def _bridge(client: Any) -> tuple[HTTPServer, str]:
    """A loopback HTTP server that hands every POST to the Chalice test client (one at a time)."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                response = client.http.post(self.path, body=raw, headers={
                    "Content-Type": "application/json", "X-TGR-Signature": self.headers.get("X-TGR-Signature", "")})
            self.send_response(response.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="sem-bridge").start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def world(shared_demo_stack_with_users: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from chalice.test import Client

    from app import app

    facts = shared_demo_stack_with_users
    secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
    steps = StepClock()
    sent: list[dict[str, Any]] = []
    real_payments, real_signatures, real_refunds = (wiring.payment_context, wiring.signatures_context,
                                                    wiring.refunds_context)
    with Client(app, stage_name="test") as client, TgrSimulator([secret], port=0) as sim:
        server, bridge = _bridge(client)

        def payment_context():
            ctx = real_payments()
            ctx.gateway = TgrClient(sim.url, attempts=1)
            ctx.notify_url = bridge + "/v1/gateways/tgr/notifications"
            return ctx

        def signatures_context():
            ctx = real_signatures()
            ctx.port._clock = steps  # certificates are issued at real time; codes are checked at the step clock
            return ctx

        def refunds_context():
            ctx = real_refunds()
            ctx.jobs = RecordingQueue(ctx.jobs, sent)
            ctx.gateway = TgrClient(sim.url, attempts=1)
            ctx.notify_url = bridge + "/v1/gateways/tgr/refund-notifications"
            return ctx

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(wiring, "payment_context", payment_context)
            mp.setattr(wiring, "signatures_context", signatures_context)
            mp.setattr(wiring, "refunds_context", refunds_context)
            world = {"client": client, "sim": sim, "facts": facts, "steps": steps, "tokens": {}, "secrets": {},
                     "secret": secret, "bridge": bridge, "jobs": sent}
            _enroll(world, TESORERO)
            yield world
        server.shutdown()


# -- helpers -------------------------------------------------------------------------------------

def call(world, method, path, email, body=None):
    if email not in world["tokens"]:
        world["tokens"][email] = id_token(world["facts"], email)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {world['tokens'][email]}"}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body)


def _enroll(world, email):
    status, body = call(world, "post", "/v1/admin/me/signature", email, {})
    assert status == 201, body
    world["secrets"][email] = parse_qs(urlsplit(body["otpauth_uri"]).query)["secret"][0]
    status, body = call(world, "post", "/v1/admin/me/signature/confirm", email,
                        {"otp": pyotp.TOTP(world["secrets"][email]).now()})
    assert status == 200, body


def otp(world, email=TESORERO):
    world["steps"].steps += 1
    return pyotp.TOTP(world["secrets"][email]).at(world["steps"]())


def debt(debt_id, amount, code="13101"):
    wiring.data_table().put(DebtRepository.row(code, {
        "debt_id": debt_id, "type": "patente", "rut": DEMO_RUT, "description": f"Patente {debt_id}",
        "period": "2027-S1", "due_date": "2027-04-30", "amount": amount, "status": "open"}))


def create_payment(world, debt_ids, code="13101", items=None):
    body = {"items": items or [{"type": "debt", "debt_id": d} for d in debt_ids],
            "payer": {"rut": DEMO_RUT, "name": "María Pérez", "email": "maria@ciudadano.demo"},
            "return_url": "http://127.0.0.1/retorno.html"}
    response = world["client"].http.post(f"/v1/municipalities/{code}/payments", body=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", "Origin": ORIGIN,
                                                  "X-Api-Key": world["facts"]["portal_keys"][code],
                                                  "Idempotency-Key": f"k-{time.time_ns()}"})
    created = json.loads(response.body)
    assert response.status_code == 201, created
    return created


def paid(world, *amounts, code="13101", receipt=True):
    """A payment of fresh patente debts, approved at the simulator, with its receipt issued."""
    ids = []
    for amount in amounts:
        debt_id = f"PAT-RF-{time.time_ns()}"
        debt(debt_id, amount, code)
        ids.append(debt_id)
    created = create_payment(world, ids, code)
    order_id = created["checkout_url"].rsplit("/", 1)[-1]
    answer = requests.post(f"{world['sim'].url}/simulator/orders/{order_id}/complete",
                           json={"outcome": "approved"}, timeout=30).json()
    assert answer["sem_status"] == 200, answer
    payment_id = created["payment_id"]
    if receipt:
        from chalicelib.services.receipts import issue_receipt

        issue_receipt(code, payment_id, wiring.receipt_context())
    return payment_id, ids


def approve(world, created):
    order_id = created["checkout_url"].rsplit("/", 1)[-1]
    answer = requests.post(f"{world['sim'].url}/simulator/orders/{order_id}/complete",
                           json={"outcome": "approved"}, timeout=30).json()
    assert answer["sem_status"] == 200, answer
    return created["payment_id"]


def paid_first_installment(world, plate):
    """The 2027 permit's first installment of a fresh vehicle, approved at the simulator."""
    wiring.data_table().put({"pk": table_keys.vehicle("13101", plate), "sk": "DATA", "plate": plate,
                             "vehicle_class": "light", "make": "Kia", "model": "Rio", "model_year": 2018,
                             "propulsion": "combustion", "tasacion": 5_000_000, "owner_rut": "11111111-1",
                             "owner_name": "Ana Díaz"})
    return approve(world, create_payment(world, [], items=[{"type": "permit", "plate": plate, "year": 2027,
                                                            "installment": "first"}]))


def payment(payment_id):
    return wiring.payments_repo().get(payment_id[:5], payment_id)


def propose(world, payment_id, body, email=OPERADOR):
    return call(world, "post", f"{BASE}/{payment_id[:5]}/payments/{payment_id}/refunds", email, body)


def authorize(world, payment_id, refund_id, code=None, email=TESORERO):
    return call(world, "post", f"{BASE}/{payment_id[:5]}/payments/{payment_id}/refunds/{refund_id}/authorize",
                email, {"otp": code or otp(world, email)})


def complete_at_tgr(world, payment_id, outcome="completed", **switches):
    [refund] = [r for r in requests.get(f"{world['sim'].url}/simulator/refunds",
                                        params={"merchant_reference": payment_id}, timeout=10).json()["refunds"]
                if r["status"] == "accepted"]
    return requests.post(f"{world['sim'].url}/simulator/refunds/{refund['refund_order_id']}/complete",
                         json={"outcome": outcome, **switches}, timeout=30).json()


def signed_post(world, path, body):
    raw = json.dumps(body).encode()
    header = webhook_signature.signature_header(world["secret"], int(time.time()), raw)
    response = world["client"].http.post(path, body=raw, headers={"Content-Type": "application/json",
                                                                  "X-TGR-Signature": header})
    return response.status_code, json.loads(response.body)


def run_job(job):
    """What the receipts worker does with an annulment job."""
    from chalicelib.services.annulments import issue_annulment

    return issue_annulment(job["municipality"], job["payment_id"], job["ref"], wiring.annulments_context())


def verify_pdf(world, pdf):
    response = world["client"].http.post("/v1/signatures/verify", body=pdf,
                                         headers={"Content-Type": "application/octet-stream"})
    return json.loads(response.body)


def receipt_record(payment_id):
    folio = issued_receipt(payment(payment_id))["folio"]
    return wiring.receipts_repo().get(payment_id[:5], folio)


def audit_actions(code="13101"):
    month = datetime.now(SANTIAGO).astimezone().strftime("%Y-%m")
    rows = list(wiring.data_table().query_all(table_keys.audit(code, month)))
    return [r["action"] for r in rows]


# -- the whole flow ------------------------------------------------------------------------------

def test_an_operator_proposes_the_tesorero_signs_tgr_refunds_and_the_receipt_is_annulled(world):
    payment_id, [debt_id] = paid(world, 25_000)
    assert receipt_record(payment_id)["status"] == "issued"

    status, proposal = propose(world, payment_id, {"reason": "double_payment", "note": "Pagó dos veces en línea"})
    assert status == 201, proposal
    assert proposal["status"] == "proposed"
    assert proposal["amount"] == 25_000
    assert proposal["whole"]
    refund_id = proposal["refund_id"]
    assert payment(payment_id)["status"] == "paid"  # nothing moves before the signature

    # The operator cannot authorize; a wrong code changes nothing.
    status, body = authorize(world, payment_id, refund_id, code="123456", email=OPERADOR)
    assert status == 403
    status, body = authorize(world, payment_id, refund_id, code="000000")
    assert status == 403, body
    assert body["error"]["code"] == "otp_invalid", body
    assert wiring.refunds_context().refunds.get("13101", payment_id, refund_id)["status"] == "proposed"
    assert payment(payment_id)["status"] == "paid"

    status, signed = authorize(world, payment_id, refund_id)
    assert status == 201, signed
    assert signed["status"] == "accepted"
    assert signed["tgr_refund_order_id"].startswith("TGRR-")
    assert signed["authorized_by"]["email"] == TESORERO
    assert payment(payment_id)["status"] == "refund_pending"

    # The signed order verifies, signed by the Tesorero.
    assert signed["document_url"]
    stored = wiring.refunds_context().refunds.get("13101", payment_id, refund_id)
    pdf = wiring.receipts_store().get(stored["document_key"])
    response = world["client"].http.post("/v1/signatures/verify", body=pdf,
                                         headers={"Content-Type": "application/octet-stream"})
    check = json.loads(response.body)
    assert check["valid"], check
    assert check["signatures"][0]["profile"] == "tesorero"

    # TGR completes it; its duplicate changes nothing.
    answer = complete_at_tgr(world, payment_id, duplicates=1)
    assert answer["sem_status"] == 200, answer
    assert answer["sem_body"]["result"] == "applied", answer
    assert answer["duplicates"][0]["sem_body"]["result"] == "duplicate"
    after = payment(payment_id)
    assert after["status"] == "refunded"
    assert after["refunded_amount"] == 25_000
    assert "refund_open" not in after

    record = receipt_record(payment_id)
    assert record["status"] == "annulled"
    assert record["annulled_at"]
    assert record["annulment_reason"].startswith("Devolución total: Pago duplicado")
    assert wiring.payments_repo().hold(("13101", f"DEBT#{debt_id}"))["status"] == "annulled"
    assert DebtRepository(wiring.data_table()).get("13101", debt_id)["status"] == "open"
    create_payment(world, [debt_id])  # payable again

    day = datetime.now(SANTIAGO).date().isoformat()
    cell = wiring.data_table().get(table_keys.stats("13101", day), "patentes#refund")
    assert cell["amount"] <= -25_000
    assert cell["refunds"] >= 1
    platform = {c["sk"]: c for c in StatsRepository(wiring.data_table()).day_cells("00000", day)}
    assert platform["13101#patentes#refund"]["amount"] <= -25_000  # the platform's day: its municipalities' summed
    assert {"refund.propose", "refund.authorize", "refund.completed"} <= set(audit_actions())
    status, report = call(world, "get", f"{BASE}/13101/reports?from={day}&to={day}&group=method", TESORERO)
    assert status == 200, report
    [line] = [r for r in report["rows"] if r["key"] == "refund"]  # refunds are their own line, subtracted
    assert line["amount"] <= -25_000, report
    assert line["label"].startswith("Devoluciones"), report
    # Collected that day all the same: the day's batch (and reconciliation) still count it.
    status, batch = call(world, "get", f"{BASE}/13101/batches/{day}", TESORERO)
    assert status == 200, batch
    assert payment_id in [p["payment_id"] for p in batch["payments"]]

    status, detail = call(world, "get", f"{BASE}/13101/payments/{payment_id}/refunds", TESORERO)
    assert status == 200
    assert [r["status"] for r in detail["items"]] == ["completed"]
    status, listing = call(world, "get", f"{BASE}/13101/refunds", OPERADOR)
    assert status == 200
    assert refund_id in [r.get("refund_id") for r in listing["items"]]

    status, shown = call(world, "get", f"{BASE}/13101/payments/{payment_id}", TESORERO)
    assert status == 200, shown
    assert shown["status"] == "refunded"
    assert shown["status_text"] == "Devuelto"
    assert [r["refund_id"] for r in shown["refunds"]] == [refund_id]
    assert shown["annulment"]["reason"].startswith("Devolución total")

    # The comprobante de anulación: queued, issued with its own folio series, signed, e-mailed once.
    # (The duplicate notification queued it again, the document not being sent yet: the same job.)
    jobs = [j for j in world["jobs"] if j.get("ref") == f"REFUND#{refund_id}"]
    assert jobs
    job = jobs[0]
    assert all(j == job for j in jobs)
    assert job["kind"] == "annulment"
    assert run_job(job) == "sent"
    assert run_job(job) == "already_complete"
    row = wiring.refunds_context().refunds.get("13101", payment_id, refund_id)
    assert row["document"]["folio"].startswith("13101-ANU-")
    assert row["document_email"]["status"] == "sent"
    check = verify_pdf(world, wiring.receipts_store().get(row["document"]["key"]))
    assert check["valid"], check

    # Already refunded: refused, nothing changes.
    status, body = propose(world, payment_id, {"reason": "double_payment"})
    assert status == 409
    assert body["error"]["code"] == "already_refunded"


def test_a_refund_by_item_leaves_the_payment_partially_refunded_and_the_receipt_valid(world):
    payment_id, debts = paid(world, 10_000, 4_000)
    status, proposal = propose(world, payment_id, {"items": [1], "amount": 4_000, "reason": "not_owed",
                                                   "note": "Exenta"})
    assert status == 201, proposal
    status, _ = authorize(world, payment_id, proposal["refund_id"])
    assert status == 201
    assert complete_at_tgr(world, payment_id)["sem_body"]["payment_status"] == "partially_refunded"
    after = payment(payment_id)
    assert after["status"] == "partially_refunded"
    assert after["refunded_items"] == [1]
    assert receipt_record(payment_id)["status"] == "issued"
    assert DebtRepository(wiring.data_table()).get("13101", debts[1])["status"] == "open"
    assert DebtRepository(wiring.data_table()).get("13101", debts[0])["status"] == "paid"

    status, body = propose(world, payment_id, {"items": [1], "reason": "not_owed", "note": "otra vez"})
    assert status == 409
    assert body["error"]["code"] == "already_refunded"
    status, body = propose(world, payment_id, {"items": [0], "amount": 9_999, "reason": "double_payment"})
    assert status == 400
    assert body["error"]["code"] == "amount_mismatch"
    status, proposal = propose(world, payment_id, {"reason": "double_payment"})
    assert status == 201
    assert proposal["amount"] == 10_000
    assert proposal["items"] == [0]
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    complete_at_tgr(world, payment_id)
    assert payment(payment_id)["status"] == "refunded"
    assert receipt_record(payment_id)["status"] == "annulled"


def test_a_refunded_first_installment_takes_its_unpaid_second_installment_with_it(world):
    debts = DebtRepository(wiring.data_table())
    payment_id = paid_first_installment(world, "GHJK13")
    assert debts.get("13101", "SEG-2027-GHJK13")["status"] == "open"
    _, proposal = propose(world, payment_id, {"reason": "double_payment"})
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    assert complete_at_tgr(world, payment_id)["sem_body"]["payment_status"] == "refunded"
    # Without its first installment the permit has no second one to pay.
    assert debts.get("13101", "SEG-2027-GHJK13") is None
    # The permit is payable again from its first installment, which leaves a new second one.
    again = paid_first_installment(world, "GHJK13")
    assert payment(again)["status"] == "paid"
    assert debts.get("13101", "SEG-2027-GHJK13")["created_by_payment"] == again


def test_the_days_batch_and_fcm_share_are_net_of_the_money_that_went_back(world):
    day = datetime.now(SANTIAGO).date().isoformat()
    path = f"{BASE}/13101/batches/{day}"
    before_batch = call(world, "get", path, TESORERO)[1]
    before = call(world, "get", f"{BASE}/13101/consolidation/{day}", TESORERO)[1]["distribution"]
    payment_id = paid_first_installment(world, "GHJK15")
    amount = payment(payment_id)["amount"]
    paid_batch = call(world, "get", path, TESORERO)[1]
    assert paid_batch["totals"]["amount"] == before_batch["totals"]["amount"] + amount
    _, proposal = propose(world, payment_id, {"reason": "wrong_municipality", "note": "Vehículo de otra comuna"})
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    complete_at_tgr(world, payment_id)

    status, batch = call(world, "get", path, TESORERO)
    assert status == 200, batch
    assert payment_id in [p["payment_id"] for p in batch["payments"]]  # collected that day all the same
    [line] = [r for r in batch["returns"] if r["reference"] == proposal["refund_id"]]
    assert (line["payment_id"], line["amount"], line["kind"]) == (payment_id, -amount, "devolucion")
    assert line["line"] == f"DEV#{proposal['refund_id']}"
    totals = batch["totals"]
    assert totals["amount"] == totals["collected"] + totals["returns"]["amount"]
    assert totals["amount"] == before_batch["totals"]["amount"]  # paid and returned the same day: net zero
    assert batch["digest"] != paid_batch["digest"]

    after = call(world, "get", f"{BASE}/13101/consolidation/{day}", TESORERO)[1]["distribution"]
    assert after["permits_amount"] == before["permits_amount"]  # the permit's revenue went back
    assert abs(after["fcm"] - before["fcm"]) <= 1  # rounded once on the day's net revenue


def test_a_return_after_the_day_was_signed_is_a_signed_correction(world):
    day = datetime.now(SANTIAGO).date().isoformat()
    path = f"{BASE}/13101/batches/{day}"
    payment_id, _ = paid(world, 6_100, receipt=False)
    status, signed = call(world, "post", f"{path}/sign", TESORERO, {"otp": otp(world)})
    if status == 409:  # another test signed today's batch first: sign what changed since
        assert signed["error"]["code"] == "batch_already_signed", signed
        status, signed = call(world, "post", f"{path}/corrections/sign", TESORERO, {"otp": otp(world)})
    assert status == 201, signed
    assert signed["status"] == "signed"
    _, proposal = propose(world, payment_id, {"reason": "double_payment"})
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    complete_at_tgr(world, payment_id)
    status, batch = call(world, "get", f"{path}?document=true", TESORERO)
    assert batch["status"] == "correction_pending", batch
    [added] = [a for a in batch["pending_correction"]["added"] if a.get("reference") == proposal["refund_id"]]
    assert added["amount"] == -6_100
    assert batch["pending_correction"]["net_amount"] <= -6_100
    status, signed = call(world, "post", f"{path}/corrections/sign", TESORERO, {"otp": otp(world)})
    assert status == 201, signed
    correction = wiring.signatures_repo().signed_batches("13101", day)[-1]
    manifest = json.loads(wiring.receipts_store().get(correction["manifest_key"]))
    assert manifest[f"DEV#{proposal['refund_id']}"] == -6_100
    assert manifest[payment_id] == 6_100
    from tests.support.pdfs import page_text

    shown = page_text(wiring.receipts_store().get(correction["document_key"]))
    assert f"Devolución {proposal['refund_id']}" in shown, shown
    assert "Recaudado en el día" in shown, shown
    assert "Total neto del día" in shown, shown


def test_an_annulment_document_whose_job_was_lost_is_queued_by_the_sweep_until_sent(world, monkeypatch):
    from chalicelib.domain.errors import DependencyUnavailable
    from chalicelib.services import annulments

    payment_id, _ = paid(world, 5_500)
    _, proposal = propose(world, payment_id, {"reason": "double_payment"})
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    row_sk = f"REFUND#{proposal['refund_id']}"

    class DownQueue:
        def send(self, message, **_):
            raise DependencyUnavailable("cola caída", code="queue_unavailable")

    real = wiring.refunds_context
    monkeypatch.setattr(wiring, "refunds_context", lambda: (lambda ctx: (setattr(ctx, "jobs", DownQueue()), ctx)[1])(
        real()))
    assert complete_at_tgr(world, payment_id)["sem_body"]["payment_status"] == "refunded"
    monkeypatch.setattr(wiring, "refunds_context", real)
    assert not [j for j in world["jobs"] if j.get("ref") == row_sk]  # the job was lost

    sent: list[dict[str, Any]] = []

    class Queue:
        def send(self, message, **_):
            sent.append(message)
            return "m-1"

    ctx = wiring.annulments_context()
    assert annulments.sweep("13101", ctx, Queue(), refunds.DOCUMENT_RECHECK) == 0  # not due yet
    later = datetime.now(SANTIAGO) + refunds.DOCUMENT_RECHECK + timedelta(minutes=1)
    ctx.clock = lambda: later
    assert annulments.sweep("13101", ctx, Queue(), refunds.DOCUMENT_RECHECK) >= 1
    [job] = [j for j in sent if j["ref"] == row_sk]
    assert job == annulments.job("13101", payment_id, row_sk)
    # Moved to its next recheck: the same sweep again does not queue it twice.
    sent.clear()
    annulments.sweep("13101", ctx, Queue(), refunds.DOCUMENT_RECHECK)
    assert [j for j in sent if j["ref"] == row_sk] == []

    assert run_job(job) == "sent"
    row = wiring.refunds_context().refunds.get("13101", payment_id, proposal["refund_id"])
    assert "gsi3pk" not in row  # settled: out of the outbox
    much_later = later + 10 * refunds.DOCUMENT_RECHECK
    ctx.clock = lambda: much_later
    sent.clear()
    annulments.sweep("13101", ctx, Queue(), refunds.DOCUMENT_RECHECK)
    assert [j for j in sent if j["ref"] == row_sk] == []


def test_a_first_installment_whose_second_is_paid_is_not_refunded_alone(world):
    debts = DebtRepository(wiring.data_table())
    first = paid_first_installment(world, "GHJK14")
    second = approve(world, create_payment(world, ["SEG-2027-GHJK14"]))
    assert debts.get("13101", "SEG-2027-GHJK14")["paid_by"] == second
    before = payment(first)
    status, body = propose(world, first, {"reason": "double_payment"})
    assert (status, body["error"]["code"]) == (422, "second_installment_paid"), body
    assert "segunda cuota" in body["error"]["message"]
    assert payment(first) == before
    # The second installment's payment goes first; then the first installment may go too.
    _, proposal = propose(world, second, {"reason": "double_payment"})
    assert authorize(world, second, proposal["refund_id"])[0] == 201
    complete_at_tgr(world, second)
    assert debts.get("13101", "SEG-2027-GHJK14")["status"] == "open"
    status, proposal = propose(world, first, {"reason": "double_payment"})
    assert status == 201, proposal
    assert authorize(world, first, proposal["refund_id"])[0] == 201
    complete_at_tgr(world, first)
    assert debts.get("13101", "SEG-2027-GHJK14") is None


def test_bad_refunds_are_refused_in_spanish_and_change_nothing(world):
    payment_id, _ = paid(world, 7_000, receipt=False)
    before = payment(payment_id)

    cases = [
        ({"items": [3], "reason": "double_payment"}, 400, "invalid_items"),
        ({"reason": "porque sí"}, 400, None),
        ({"reason": "other", "note": "  "}, 400, "note_required"),
        ({"reason": "double_payment", "amount": 7_001}, 400, "amount_mismatch"),
        ({"reason": "double_payment", "note": "<script>"}, 400, None),
    ]
    for body, status, code in cases:
        got, answer = propose(world, payment_id, body)
        assert got == status, (body, answer)
        assert answer["error"]["message"], answer
        assert code is None or answer["error"]["code"] == code, answer
    # Another municipality's official, and another municipality's payment under one's own code.
    assert propose(world, payment_id, {"reason": "double_payment"}, email=FOREIGN_TESORERO)[0] == 403
    foreign_id = "13114-" + payment_id[6:]
    status, body = call(world, "post", f"{BASE}/13101/payments/{foreign_id}/refunds", OPERADOR,
                        {"reason": "double_payment"})
    assert status == 404
    assert body["error"]["code"] == "payment_not_found"
    # A pending payment received no money.
    debt_id = f"PAT-RF-P{time.time_ns()}"
    debt(debt_id, 3_000)
    pending = create_payment(world, [debt_id])["payment_id"]
    status, body = propose(world, pending, {"reason": "double_payment"})
    assert status == 409
    assert body["error"]["code"] == "payment_not_refundable"
    assert "pagado" in body["error"]["message"]
    # A second proposal while one is open.
    assert propose(world, payment_id, {"reason": "double_payment"})[0] == 201
    status, body = propose(world, payment_id, {"reason": "double_payment"})
    assert status == 409
    assert body["error"]["code"] == "refund_in_progress"
    # A refund id that does not exist / is malformed.
    status, body = authorize(world, payment_id, "RF-" + "0" * 26)
    assert status == 404
    status, body = authorize(world, payment_id, "nope")
    assert status == 400
    assert body["error"]["code"] == "invalid_refund_id"
    after = payment(payment_id)
    assert after["status"] == before["status"] == "paid"
    assert after["amount"] == before["amount"]
    assert "refunded_amount" not in after


def test_two_officials_refunding_at_once_cannot_both_succeed(world, monkeypatch):
    payment_id, _ = paid(world, 9_000, receipt=False)
    ctx = wiring.refunds_context()
    # moto's in-process backend is not thread-safe (a transaction deep-copies the table while another
    # thread writes it); DynamoDB applies each request atomically, so each single request is
    # serialized here — every request of both flows, including the winner's later steps — while the
    # flows themselves interleave. The barrier holds both at the contested write, after both read:
    # only DynamoDB's condition can turn one away.
    client = wiring.data_table()._client
    one_request_at_a_time = threading.Lock()
    make_api_call = client._make_api_call

    def atomic_request(operation, params):
        with one_request_at_a_time:
            return make_api_call(operation, params)

    monkeypatch.setattr(client, "_make_api_call", atomic_request)
    barrier = threading.Barrier(2, timeout=10)
    real = RefundRepository.propose

    def both_read_then_write(self, *args, **kwargs):
        barrier.wait()  # both have read the payment with no open refund
        return real(self, *args, **kwargs)

    officials = [Official(email=OPERADOR, municipality="13101", profile="operador_rentas", name="Operador"),
                 Official(email=TESORERO, municipality="13101", profile="tesorero", name="Tesorero")]
    results: list[Any] = []

    def attempt(official):
        try:
            results.append(refunds.propose("13101", payment_id, official, ctx, items=None, amount=None,
                                           reason="double_payment", note=""))
        except Conflict as exc:
            results.append(exc)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RefundRepository, "propose", both_read_then_write)
        threads = [threading.Thread(target=attempt, args=(o,)) for o in officials]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"], results
    [winner] = [r for r in results if isinstance(r, dict)]
    assert len(ctx.refunds.of_payment("13101", payment_id)) == 1

    # Two officials sign the same proposal at once: one signature is recorded.
    _enroll(world, SUBROGANTE)
    barrier = threading.Barrier(2, timeout=10)
    real_authorize = RefundRepository.authorize

    def both_signed_then_write(self, *args, **kwargs):
        barrier.wait()  # both have signed the same proposal
        return real_authorize(self, *args, **kwargs)

    signers = [(TESORERO, "tesorero", otp(world, TESORERO)),
               (SUBROGANTE, "tesorero_subrogante", otp(world, SUBROGANTE))]
    answers: list[Any] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RefundRepository, "authorize", both_signed_then_write)
        threads = [threading.Thread(target=lambda s=s: answers.append(
            _authorize_direct(payment_id, winner["refund_id"], *s))) for s in signers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(a if isinstance(a, str) else "ok" for a in answers) == ["ok", "refund_already_authorized"], answers
    assert payment(payment_id)["status"] == "refund_pending"
    assert len([r for r in requests.get(f"{world['sim'].url}/simulator/refunds",
                                        params={"merchant_reference": payment_id}, timeout=10).json()["refunds"]]) == 1


def _authorize_direct(payment_id, refund_id, email, profile, code):
    official = Official(email=email, municipality="13101", profile=profile, name=email)
    try:
        return refunds.authorize("13101", payment_id, refund_id, code, official, wiring.refunds_context())
    except Conflict as exc:
        return exc.code


def test_tgr_rejecting_the_order_leaves_refund_failed_and_a_new_refund_possible(world):
    payment_id, _ = paid(world, 6_000, receipt=False)
    _, proposal = propose(world, payment_id, {"reason": "wrong_municipality"})
    requests.post(f"{world['sim'].url}/simulator/refund-control", json={"reject": "Medio de pago no admite "
                                                                                   "devolución"}, timeout=10)
    try:
        status, body = authorize(world, payment_id, proposal["refund_id"])
    finally:
        requests.post(f"{world['sim'].url}/simulator/refund-control", json={"reject": None}, timeout=10)
    assert status == 201, body
    assert body["status"] == "rejected"
    assert "no admite" in body["tgr_reason"]
    assert payment(payment_id)["status"] == "refund_failed"
    status, again = propose(world, payment_id, {"reason": "wrong_municipality"})
    assert status == 201, again


def test_an_annulment_email_of_unknown_outcome_is_not_sent_again_while_its_lease_holds(world):
    """SES took the annulment e-mail but its answer was lost (a read timeout on a loaded machine)
    while TGR repeated its notification: the repeat queues the job again, and neither it nor any
    redelivery sends a second e-mail until the attempt's lease has run out."""
    from chalicelib.domain.errors import DependencyUnavailable
    from chalicelib.services import annulments

    payment_id, _ = paid(world, 6_500, receipt=False)
    _, proposal = propose(world, payment_id, {"reason": "double_payment"})
    refund_id = proposal["refund_id"]
    assert authorize(world, payment_id, refund_id)[0] == 201
    answer = complete_at_tgr(world, payment_id)
    assert answer["sem_body"]["result"] == "applied", answer
    row_sk = f"REFUND#{refund_id}"
    ctx = wiring.annulments_context()
    ses = ctx.mailer
    accepted: list[str] = []
    repeats: list[dict[str, Any]] = []

    class AnswerLost:
        """SES accepts the message; its answer never reaches the worker. TGR repeats its
        notification meanwhile."""

        def send(self, message):
            accepted.append(ses.send(message))
            repeats.append(signed_post(world, "/v1/gateways/tgr/refund-notifications", answer["notification"])[1])
            raise DependencyUnavailable("El servicio de correo no respondió.", code="email_outcome_unknown")

    class Ses:
        def send(self, message):
            accepted.append(ses.send(message))
            return accepted[-1]

    ctx.mailer = AnswerLost()
    with pytest.raises(DependencyUnavailable):
        annulments.issue_annulment("13101", payment_id, row_sk, ctx)
    assert [r["result"] for r in repeats] == ["duplicate"]

    # The repeat's job, and the redelivered one, within the lease: no second e-mail.
    ctx.mailer = Ses()
    for _ in range(2):
        with pytest.raises(DependencyUnavailable) as refused:
            annulments.issue_annulment("13101", payment_id, row_sk, ctx)
        assert refused.value.code == "email_in_progress"
    assert len(accepted) == 1
    state = wiring.refunds_context().refunds.get("13101", payment_id, refund_id)["document_email"]
    assert state["status"] == "unknown"

    # Only once the lease has run out with the outcome still unknown is it sent again, once.
    later = datetime.now(SANTIAGO) + annulments.EMAIL_LEASE + timedelta(minutes=1)
    ctx.clock = lambda: later
    assert annulments.issue_annulment("13101", payment_id, row_sk, ctx) == "sent"
    assert annulments.issue_annulment("13101", payment_id, row_sk, ctx) == "already_complete"
    assert len(accepted) == 2
    row = wiring.refunds_context().refunds.get("13101", payment_id, refund_id)
    assert row["document_email"]["status"] == "sent"
    assert row["document_email"]["message_id"] == accepted[-1]


def test_duplicated_and_late_refund_notifications_change_nothing(world):
    payment_id, _ = paid(world, 8_000, receipt=False)
    _, proposal = propose(world, payment_id, {"reason": "double_payment"})
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    answer = complete_at_tgr(world, payment_id, duplicates=2, late_duplicate_s=0.3)
    assert [answer["sem_body"]["result"]] + [d["sem_body"]["result"] for d in answer["duplicates"]] == \
        ["applied", "duplicate", "duplicate"]
    notification = answer["notification"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = requests.get(f"{world['sim'].url}/simulator/refunds/{notification['refund_order_id']}",
                            timeout=10).json()["notifications"]
        if any(n["kind"] == "late_duplicate" for n in sent):
            break
        time.sleep(0.1)
    late = [n for n in sent if n["kind"] == "late_duplicate"]
    assert late, sent
    assert late[0]["answer"]["sem_body"]["result"] == "duplicate", sent
    # A contrary result arriving late is ignored; a changed amount is refused.
    status, body = signed_post(world, "/v1/gateways/tgr/refund-notifications", {**notification, "status": "failed"})
    assert status == 200
    assert body["result"] == "ignored"
    status, body = signed_post(world, "/v1/gateways/tgr/refund-notifications", {**notification, "amount": 1})
    assert status == 409
    assert body["error"]["code"] == "amount_mismatch"
    after = payment(payment_id)
    assert after["status"] == "refunded"
    assert after["refunded_amount"] == 8_000
    # Unsigned: refused before anything is read.
    response = world["client"].http.post("/v1/gateways/tgr/refund-notifications", body=json.dumps(notification),
                                         headers={"Content-Type": "application/json", "X-TGR-Signature": "t=1,v1=00"})
    assert response.status_code == 401


def test_a_reversal_moves_the_payment_to_reversed_once_and_annuls_the_receipt(world):
    payment_id, [debt_id] = paid(world, 12_000)
    order_id = payment(payment_id)["order_id"]
    answer = requests.post(f"{world['sim'].url}/simulator/orders/{order_id}/reverse",
                           json={"duplicates": 2,
                                 "notify_url": world["bridge"] + "/v1/gateways/tgr/refund-notifications"},
                           timeout=30).json()
    assert answer["sem_status"] == 200, answer
    assert [answer["sem_body"]["result"]] + [d["sem_body"]["result"] for d in answer["duplicates"]] == \
        ["applied", "duplicate", "duplicate"]
    after = payment(payment_id)
    assert after["status"] == "reversed"
    assert after["reversal_id"] == answer["notification"]["reversal_id"]
    record = receipt_record(payment_id)
    assert record["status"] == "annulled"
    assert "Contracargo" in record["annulment_reason"]
    assert DebtRepository(wiring.data_table()).get("13101", debt_id)["status"] == "open"
    status, listing = call(world, "get", f"{BASE}/13101/refunds", TESORERO)
    assert any(r["kind"] == "reversal" and r["payment_id"] == payment_id for r in listing["items"])
    assert "payment.reversed" in audit_actions()
    job = next(j for j in world["jobs"] if j.get("ref") == f"REVERSAL#{answer['notification']['reversal_id']}")
    assert run_job(job) == "sent"
    # A reversed payment cannot be refunded.
    status, body = propose(world, payment_id, {"reason": "double_payment"})
    assert status == 409
    assert body["error"]["code"] == "already_refunded"


def test_a_reversal_alerts_the_treasury_until_an_official_acknowledges_it(world):
    payment_id, _ = paid(world, 13_000, receipt=False)
    order_id = payment(payment_id)["order_id"]
    answer = requests.post(f"{world['sim'].url}/simulator/orders/{order_id}/reverse", timeout=30, json={
        "duplicates": 1, "notify_url": world["bridge"] + "/v1/gateways/tgr/refund-notifications"}).json()
    reversal_id = answer["notification"]["reversal_id"]
    alerts = f"{BASE}/13101/reversals/open"
    status, body = call(world, "get", alerts, TESORERO)
    assert status == 200, body
    [alert] = [r for r in body["items"] if r["reversal_id"] == reversal_id]
    assert (alert["payment_id"], alert["amount"], alert["acknowledged"]) == (payment_id, 13_000, False)
    # Another municipality's treasury neither sees nor acknowledges it.
    status, body = call(world, "get", f"{BASE}/13114/reversals/open", TESORERO)
    assert status == 403
    ack = f"{BASE}/13101/payments/{payment_id}/reversals/{reversal_id}/acknowledge"
    status, body = call(world, "post", ack, FOREIGN_TESORERO, {"note": "Revisado"})
    assert status == 403
    status, body = call(world, "post", f"{BASE}/13114/payments/{payment_id}/reversals/{reversal_id}/acknowledge",
                        FOREIGN_TESORERO, {"note": "Revisado"})
    assert (status, body["error"]["code"]) == (404, "payment_not_found")
    # Bad input changes nothing.
    assert call(world, "post", ack, OPERADOR, {"note": ""})[0] == 400
    assert call(world, "post", ack, OPERADOR, {"note": "ok", "extra": 1})[0] == 400
    status, body = call(world, "post", f"{BASE}/13101/payments/{payment_id}/reversals/CC%23X/acknowledge",
                        OPERADOR, {"note": "Revisado"})
    assert (status, body["error"]["code"]) == (404, "reversal_not_found")

    status, done = call(world, "post", ack, OPERADOR, {"note": "Se llamó al contribuyente; pagará de nuevo"})
    assert status == 200, done
    assert done["acknowledged"]
    assert done["acknowledged_by"]["email"] == OPERADOR
    assert done["acknowledgement_note"] == "Se llamó al contribuyente; pagará de nuevo"
    status, body = call(world, "post", ack, TESORERO, {"note": "Otra vez"})
    assert (status, body["error"]["code"]) == (409, "already_acknowledged")
    status, body = call(world, "get", alerts, TESORERO)
    assert reversal_id not in [r["reversal_id"] for r in body["items"]]
    assert "payment.reversal.acknowledge" in audit_actions()
    status, detail = call(world, "get", f"{BASE}/13101/payments/{payment_id}/refunds", TESORERO)
    [shown] = [r for r in detail["items"] if r.get("reversal_id") == reversal_id]
    assert shown["acknowledged"]


def test_the_openapi_document_serves_the_refund_routes_and_states(world):
    response = world["client"].http.get("/v1/openapi.json")
    document = json.loads(response.body)
    assert "/v1/admin/municipalities/{code}/payments/{payment_id}/refunds" in document["paths"]
    assert "/v1/gateways/tgr/refund-notifications" in document["paths"]
    text = json.dumps(document)
    for state in ("refund_pending", "refunded", "partially_refunded", "refund_failed", "reversed", "annulled"):
        assert state in text, state


def test_a_reversal_during_a_refund_wins_and_the_refunds_late_result_is_ignored(world):
    payment_id, _ = paid(world, 5_000, receipt=False)
    _, proposal = propose(world, payment_id, {"reason": "double_payment"})
    assert authorize(world, payment_id, proposal["refund_id"])[0] == 201
    order_id = payment(payment_id)["order_id"]
    reversal = {"type": "reversal", "notification_id": "n-rev", "reversal_id": f"CC-{time.time_ns()}",
                "order_id": order_id, "payment_id": payment_id, "amount": 5_000, "reason": "Cargo desconocido"}
    status, body = signed_post(world, "/v1/gateways/tgr/refund-notifications", reversal)
    assert status == 200, body
    assert body["result"] == "applied"
    answer = complete_at_tgr(world, payment_id)
    assert answer["sem_body"]["result"] == "ignored", answer
    after = payment(payment_id)
    assert after["status"] == "reversed"
    assert "refunded_amount" not in after


def test_the_days_settlement_carries_refunds_and_reversals_and_reconciles(world, monkeypatch):
    from chalicelib.domain.reconciliation import parse_settlement
    from chalicelib.services.settlements import ingest_settlement

    refunded, _ = paid(world, 3_300, receipt=False)
    _, proposal = propose(world, refunded, {"reason": "double_payment"})
    assert authorize(world, refunded, proposal["refund_id"])[0] == 201
    complete_at_tgr(world, refunded)
    reversed_id, _ = paid(world, 2_200, receipt=False)
    order_id = payment(reversed_id)["order_id"]
    answer = requests.post(f"{world['sim'].url}/simulator/orders/{order_id}/reverse", timeout=30, json={
        "notify_url": world["bridge"] + "/v1/gateways/tgr/refund-notifications"}).json()
    assert answer["sem_body"]["result"] == "applied", answer

    day = datetime.now(SANTIAGO).date().isoformat()
    monkeypatch.setenv("SEM_UPLOADS_BUCKET", world["facts"]["env"]["SEM_UPLOADS_BUCKET"])
    made = requests.post(f"{world['sim'].url}/simulator/settlements", json={"municipality": "13101", "date": day},
                         timeout=30).json()
    lines = parse_settlement(made["csv"].encode()).lines
    returns = {line.authorization_code: line for line in lines if line.method in ("devolucion", "contracargo")}
    assert returns[proposal["refund_id"]].amount == -3_300
    assert returns[answer["notification"]["reversal_id"]].amount == -2_200
    assert made["total"] == sum(line.amount for line in lines)

    ctx = wiring.reconciliation_context()
    result = ingest_settlement(made["key"], ctx)
    status, view = call(world, "get", f"{BASE}/13101/reconciliation/{day}", TESORERO)
    assert status == 200, view
    about = [d for d in view["discrepancies"] if d["status"] == "open"
             and d["order_id"] in (proposal["refund_id"], answer["notification"]["reversal_id"])]
    assert about == [], about  # both returns matched their settlement lines
    assert result["reconciliation"]["returns"] >= 2, result

    # A later version of the file without the refund: the platform's refund is missing from it.
    refund_order = returns[proposal["refund_id"]].order_id
    later = (datetime.now(SANTIAGO) + timedelta(minutes=5)).isoformat(timespec="seconds")
    made = requests.post(f"{world['sim'].url}/simulator/settlements", timeout=30, json={
        "municipality": "13101", "date": day, "omit": [refund_order], "generated_at": later}).json()
    ingest_settlement(made["key"], ctx)
    _, view = call(world, "get", f"{BASE}/13101/reconciliation/{day}", TESORERO)
    [missing] = [d for d in view["discrepancies"] if d["status"] == "open" and d["order_id"] == proposal["refund_id"]]
    assert missing["kind"] == "missing_in_settlement"
    assert "devolución" in missing["detail"]
