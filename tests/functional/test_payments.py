"""Citizen payments end to end inside the app, against moto: quotes, debts, idempotent payments,
TGR notifications, holds, expiry. TGR itself is a recording fake here (the e2e tests use the
simulator over HTTP)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from chalicelib import wiring
from chalicelib.domain import webhook_signature
from chalicelib.domain.errors import DependencyUnavailable
from devstack.demo_data import DEMO_RUT
from tests.support.payments_world import (
    ORIGIN,
    RETURN_URL,
    key_of,
    notify,
    pay,
    payments_world,
    queued_jobs,
    request,
    status_of,
)


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    yield from payments_world(shared_demo_stack)


def test_quote_shows_amounts_checks_and_masked_owner(world):
    status, body, headers = request(world, "get", "/v1/municipalities/13101/permits/quote?plate=bb-bb10&year=2027")
    assert status == 200, body
    assert body["plate"] == "BBBB10"
    assert body["vehicle"]["owner"] == "M*** P*** S***"
    assert "María" not in json.dumps(body)
    assert body["payable"] is True
    assert body["reasons"] == []
    assert set(body["checks"]) == {"insurance", "inspection", "emissions", "fines"}
    amounts = body["amounts"]
    assert amounts["full"] > 0
    assert amounts["first"] == amounts["full"] - amounts["full"] // 2  # the odd peso goes to the first
    assert headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_payment_happens_once_and_a_notification_makes_it_paid(world):
    status, created, _ = pay(world, [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"}],
                             key="k-full-1")
    assert status == 201, created
    assert created["status"] == "pending"
    assert created["checkout_url"].endswith(world["gateway"].orders[created["payment_id"]].order_id)
    again_status, again, _ = pay(world, [{"type": "permit", "plate": "BBBB10", "year": 2027,
                                          "installment": "full"}], key="k-full-1")
    assert (again_status, again) == (201, created)
    other_status, other, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-full-1")
    assert (other_status, other["error"]["code"]) == (409, "idempotency_key_reused")
    held_status, held, _ = pay(world, [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"}],
                               key="k-full-2")
    assert (held_status, held["error"]["code"], held["error"]["field"]) == (409, "item_unavailable", "items[0]")
    # The owner of BBBB10 owes a patente and aseo in 13101: no installments for them.
    split_status, split, _ = pay(world, [{"type": "permit", "plate": "BBBB10", "year": 2027,
                                          "installment": "first"}], key="k-full-3")
    assert (split_status, split["error"]["code"]) == (422, "split_not_allowed")

    code, answer = notify(world, created["payment_id"])
    assert (code, answer["result"], answer["status"]) == (200, "applied", "paid")
    jobs = [j for j in queued_jobs() if j["payment_id"] == created["payment_id"]]
    assert jobs == [{"kind": "receipt", "municipality": "13101", "payment_id": created["payment_id"]}]
    dup_code, dup = notify(world, created["payment_id"])
    assert (dup_code, dup["result"]) == (200, "duplicate")
    late_code, late = notify(world, created["payment_id"], status="rejected")
    assert (late_code, late["result"], late["status"]) == (200, "ignored", "paid")

    st, body, _ = status_of(world, created)
    assert (st, body["status"], body["method"]) == (200, "paid", "debito")
    events = [e["type"] for e in wiring.payments_repo().events("13101", created["payment_id"])]
    assert events[0] == "created"
    assert "gateway_approved" in events
    quote = request(world, "get", "/v1/municipalities/13101/permits/quote?plate=BBBB10&year=2027")[1]
    assert quote["payable"] is False
    assert any("ya está pagada" in r for r in quote["reasons"])


def test_status_needs_the_right_token(world):
    _, created, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-004567"}], key="k-token")
    assert status_of(world, {**created, "access_token": "wrong"})[0] == 404
    assert request(world, "get", f"/v1/payments/{created['payment_id']}", api_key=False)[0] == 401
    assert request(world, "get", "/v1/payments/not-an-id", api_key=False,
                   headers={"Authorization": "Bearer x"})[1]["error"]["code"] == "invalid_payment_id"
    notify(world, created["payment_id"], status="rejected")


@pytest.mark.parametrize("attack", ["forged", "stale", "missing", "tampered"])
def test_bad_signatures_change_nothing(world, attack):
    _, created, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key=f"k-sig-{attack}")
    pid = created["payment_id"]
    if attack == "forged":
        code, body = notify(world, pid, secret="not-the-secret")
    elif attack == "stale":
        code, body = notify(world, pid, t=int(world["clock"]().timestamp()) - 301)
    elif attack == "missing":
        response = world["client"].http.post("/v1/gateways/tgr/notifications", body=b"{}",
                                             headers={"Content-Type": "application/json"})
        code, body = response.status_code, json.loads(response.body)
    else:
        import os

        good = json.dumps({"order_id": "x", "payment_id": pid, "status": "approved", "amount": 1}).encode()
        secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
        header = webhook_signature.signature_header(secret, int(world["clock"]().timestamp()), good)
        tampered = good.replace(b'"amount": 1', b'"amount": 2')
        response = world["client"].http.post("/v1/gateways/tgr/notifications", body=tampered,
                                             headers={"Content-Type": "application/json", "X-TGR-Signature": header})
        code, body = response.status_code, json.loads(response.body)
    assert code == 401, body
    assert body["error"]["code"].startswith("signature_")
    assert wiring.payments_repo().get("13101", pid)["status"] == "pending"
    notify(world, pid, status="rejected")  # release for the next case


def test_rejection_releases_the_items(world):
    _, first, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-rej-1")
    assert notify(world, first["payment_id"], status="rejected")[1]["status"] == "rejected"
    status, second, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-rej-2")
    assert status == 201, second
    notify(world, second["payment_id"], status="rejected")


def test_a_wrong_amount_goes_to_review_not_paid(world):
    _, created, _ = pay(world, [{"type": "debt", "debt_id": "PAT-2027-1-000123"}], key="k-amount")
    code, body = notify(world, created["payment_id"], amount=1)
    assert (code, body["status"]) == (200, "review")
    assert status_of(world, created)[1]["status"] == "review"
    status, again, _ = pay(world, [{"type": "debt", "debt_id": "PAT-2027-1-000123"}], key="k-amount-2")
    assert (status, again["error"]["code"]) == (409, "item_unavailable")


def test_expiry_releases_and_a_late_approval_goes_to_review(world):
    from chalicelib.worker.schedules import run_sweep

    _, created, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-exp")
    world["clock"].now += timedelta(minutes=91)
    try:
        totals = run_sweep()
        assert totals["expired"] >= 1
        assert status_of(world, created)[1]["status"] == "expired"
        status, again, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-exp-2")
        assert status == 201, again
        late = notify(world, created["payment_id"])[1]
        assert late["status"] == "review"
        notify(world, again["payment_id"], status="rejected")
    finally:
        world["clock"].now -= timedelta(minutes=91)


def test_an_approval_whose_hold_another_payment_took_goes_to_review(world):
    """The first payment's hold expired and a second payment took it before the sweep expired the
    first; TGR then approves the first. It cannot be paid (the item is the second's): review, and
    the second keeps its hold (issue 15.6; this recursed until RecursionError, a 500)."""
    from chalicelib.services.permit_items import PLATFORM

    _, first, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-lost-1")
    world["clock"].now += timedelta(minutes=91)  # the hold is past its time; no sweep has run
    try:
        status, second, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-lost-2")
        assert status == 201, second
        code, body = notify(world, first["payment_id"])
        assert (code, body["status"]) == (200, "review"), body
        assert "another payment" in body["reason"]
        stored = wiring.payments_repo().get("13101", first["payment_id"])
        assert (stored["status"], stored["review_reason"]) == ("review", body["reason"])
        holds = [wiring.payments_repo().hold((PLATFORM, f"PERMIT#CDFG23#2027#{half}")) for half in "12"]
        assert {(h["payment_id"], h["status"]) for h in holds} == {(second["payment_id"], "pending")}
        assert status_of(world, second)[1]["status"] == "pending"
        assert notify(world, second["payment_id"], status="rejected")[1]["status"] == "rejected"
    finally:
        world["clock"].now -= timedelta(minutes=91)


def test_a_notification_retries_a_lost_write_a_bounded_number_of_times(world, monkeypatch):
    """Each write finds the payment moved (a stand-in for endless races): a few re-decisions, then
    503 for TGR to retry — never a recursion without end."""
    from chalicelib.adapters.payments_repo import PaymentRepository
    from chalicelib.domain.errors import ConditionFailed
    from chalicelib.services import gateway

    _, created, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], code="13114", key="k-bounded")
    calls = []

    def always_moved(self, *args, **kwargs):
        calls.append(kwargs["to_status"])
        raise ConditionFailed(reasons=["ConditionalCheckFailed", "None", "None"])

    with monkeypatch.context() as patched:
        patched.setattr(PaymentRepository, "transition", always_moved)
        code, body = notify(world, created["payment_id"])
    assert (code, body["error"]["code"]) == (503, "payment_busy"), body
    assert calls == ["paid"] * gateway.NOTIFICATION_ATTEMPTS
    assert status_of(world, created)[1]["status"] == "pending"
    assert notify(world, created["payment_id"], status="rejected")[1]["status"] == "rejected"


def test_gateway_down_is_503_and_nothing_stays_held(world):
    world["gateway"].fail = True
    try:
        status, body, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], code="13114", key="k-down")
    finally:
        world["gateway"].fail = False
    assert (status, body["error"]["code"]) == (503, "gateway_unavailable")
    status, created, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], code="13114", key="k-down")
    assert status == 201, created
    notify(world, created["payment_id"], status="rejected")


def test_second_installment_only_after_the_first_in_the_same_municipality(world):
    table = wiring.data_table()
    from chalicelib.adapters import table_keys

    table.put({"pk": table_keys.vehicle("13101", "GHJK12"), "sk": "DATA", "plate": "GHJK12", "vehicle_class": "light",
               "make": "Kia", "model": "Rio", "model_year": 2018, "propulsion": "combustion", "tasacion": 5_000_000,
               "owner_rut": "11111111-1", "owner_name": "Ana Díaz"})
    status, body, _ = pay(world, [{"type": "permit", "plate": "GHJK12", "year": 2027, "installment": "second"}],
                          key="k-2nd-early")
    assert (status, body["error"]["code"]) == (422, "not_payable")
    _, first, _ = pay(world, [{"type": "permit", "plate": "GHJK12", "year": 2027, "installment": "first"}],
                      key="k-1st")
    assert notify(world, first["payment_id"])[1]["status"] == "paid"
    debts = request(world, "get", "/v1/municipalities/13101/debts?rut=11.111.111-1")[1]["debts"]
    second = [d for d in debts if d["type"] == "permit_second"]
    assert len(second) == 1
    assert second[0]["amount"] > 0
    status, created, _ = pay(world, [{"type": "debt", "debt_id": second[0]["debt_id"]}], key="k-2nd")
    assert status == 201, created
    assert notify(world, created["payment_id"])[1]["status"] == "paid"
    debts = request(world, "get", "/v1/municipalities/13101/debts?rut=11.111.111-1")[1]["debts"]
    assert [d for d in debts if d["type"] == "permit_second"] == []


def test_a_cart_pays_several_items_for_their_sum(world):
    debts = request(world, "get", f"/v1/municipalities/13101/debts?rut={DEMO_RUT}")[1]
    assert {d["debt_id"] for d in debts["debts"]} >= {"ASE-2027-1-004567"}
    table = wiring.data_table()
    from chalicelib.adapters import table_keys

    table.put({"pk": table_keys.vehicle("13101", "LPRS34"), "sk": "DATA", "plate": "LPRS34", "vehicle_class": "light",
               "make": "Fiat", "model": "Uno", "model_year": 2015, "propulsion": "combustion", "tasacion": 3_000_000,
               "owner_rut": DEMO_RUT, "owner_name": "María Pérez"})
    quote = request(world, "get", "/v1/municipalities/13101/permits/quote?plate=LPRS34&year=2027")[1]
    status, created, _ = pay(world, [{"type": "permit", "plate": "LPRS34", "year": 2027},
                                     {"type": "debt", "debt_id": "ASE-2027-1-004567"}], key="k-cart")
    assert status == 201, created
    assert created["amount"] == quote["amounts"]["full"] + 21_480
    dup = pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-004567"}, {"type": "debt",
                                                                        "debt_id": "ASE-2027-1-004567"}], key="k-dup")
    assert (dup[0], dup[1]["error"]["code"]) == (400, "duplicate_item")
    notify(world, created["payment_id"], status="rejected")


def test_concurrent_duplicates_create_one_payment(world, monkeypatch):
    from chalicelib.services import payments, portal

    # moto's in-process backend is not thread-safe (it can raise "dictionary changed size during
    # iteration" inside TransactWriteItems). DynamoDB applies each request atomically, so single
    # requests are serialized here; the create flows, made of several requests, still interleave.
    # And they truly race: every attempt's claim of the key is held at a barrier until all six are
    # on the wire, so whatever each read before, only DynamoDB's condition on the write can let just
    # one through (a read-then-write claim lets all six through here; the old test ran the threads
    # nearly one after another and could not tell).
    client = wiring.data_table()._client
    one_request_at_a_time = threading.Lock()
    make_api_call = client._make_api_call
    attempts = 6
    all_claiming = threading.Barrier(attempts, timeout=10)
    claims: list[str] = []

    def atomic_request(operation, params):
        is_claim = operation == "UpdateItem" and params.get("Key", {}).get("sk") == {"S": "IDEM"} \
            and "lease_until" in params.get("UpdateExpression", "")
        if is_claim:
            all_claiming.wait()
        with one_request_at_a_time:
            try:
                answer = make_api_call(operation, params)
            except client.exceptions.ConditionalCheckFailedException:
                if is_claim:
                    claims.append("refused")
                raise
            if is_claim:
                claims.append("claimed")
            return answer

    monkeypatch.setattr(client, "_make_api_call", atomic_request)
    ctx = wiring.payment_context()
    gate = portal.open_portal("13114", api_key=key_of(world, "13114"), origin=None, services=(),
                              munis=wiring.municipalities(), portal_keys=wiring.portal_keys(),
                              today=world["clock"]().date())
    body = {"items": [{"type": "permit", "plate": "HJKL45", "year": 2027, "installment": "full"}],
            "payer": {"rut": "11111111-1", "name": "Ana", "email": "ana@x.demo"}, "return_url": RETURN_URL}
    results, errors = [], []

    def attempt():
        try:
            results.append(payments.create_payment(gate, "k-race", body, ctx)["payment_id"])
        except Exception as exc:
            errors.append(getattr(exc, "code", type(exc).__name__))

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claims) == ["claimed"] + ["refused"] * (attempts - 1), claims  # all six raced to the write
    assert len(set(results)) == 1, (results, errors)
    assert set(errors) <= {"idempotency_in_progress"}


@pytest.mark.parametrize(("headers", "code", "status"), [
    ({"X-Api-Key": ""}, "invalid_api_key", 401),
    ({"X-Api-Key": "sem_13114_00000000_" + "a" * 43}, "invalid_api_key", 401),
    ({"Origin": "https://evil.example"}, "origin_not_allowed", 403),
])
def test_the_portal_gate(world, headers, code, status):
    got_status, body, _ = request(world, "get", "/v1/municipalities/13101/debts?rut=12345678-5", headers=headers)
    assert (got_status, body["error"]["code"]) == (status, code)


def test_another_municipalitys_key_is_refused(world):
    response = world["client"].http.get("/v1/municipalities/13101/debts?rut=12345678-5",
                                        headers={"X-Api-Key": key_of(world, "13114")})
    assert response.status_code == 401


def test_agreement_and_services_are_enforced(world):
    table = wiring.data_table()
    from chalicelib.adapters import table_keys

    table.update(table_keys.municipality("05101"), "CONFIG", "SET services = :s", values={":s": ["aseo"]})
    wiring.municipalities().forget()
    status, body, _ = request(world, "get", "/v1/municipalities/05101/permits/quote?plate=VWXY89&year=2027",
                              code="05101")
    assert (status, body["error"]["code"]) == (403, "service_not_enabled")
    table.update(table_keys.municipality("05101"), "CONFIG", "SET agreement = :a",
                 values={":a": {"status": "expired", "valid_until": "2026-01-01"}})
    wiring.municipalities().forget()
    status, body, _ = request(world, "get", "/v1/municipalities/05101/debts?rut=12345678-5", code="05101")
    assert (status, body["error"]["code"]) == (403, "agreement_not_in_force")
    table.update(table_keys.municipality("05101"), "CONFIG", "SET enabled = :f", values={":f": False})
    wiring.municipalities().forget()
    status, body, _ = request(world, "get", "/v1/municipalities/05101/debts?rut=12345678-5", code="05101")
    assert (status, body["error"]["code"]) == (403, "municipality_disabled")


@pytest.mark.parametrize(("body", "headers", "code", "field"), [
    ({"items": [], "payer": {"rut": "12345678-5", "name": "A B", "email": "a@b.cl"}, "return_url": RETURN_URL},
     {"Idempotency-Key": "k-v1"}, "invalid_input", "items"),
    ({"items": [{"type": "permit", "plate": "BBBB10", "year": 2027}],
      "payer": {"rut": "12345678-9", "name": "A B", "email": "a@b.cl"}, "return_url": RETURN_URL},
     {"Idempotency-Key": "k-v2"}, "invalid_rut", "payer.rut"),
    ({"items": [{"type": "cheque"}], "payer": {"rut": "12345678-5", "name": "A B", "email": "a@b.cl"},
      "return_url": RETURN_URL}, {"Idempotency-Key": "k-v3"}, "invalid_input", "items.0"),
    ({"items": [{"type": "permit", "plate": "BBBB10", "year": 2027}],
      "payer": {"rut": "12345678-5", "name": "A B", "email": "a@b.cl"}, "return_url": "https://evil.example/x"},
     {"Idempotency-Key": "k-v4"}, "return_url_not_allowed", "return_url"),
    ({"items": [{"type": "permit", "plate": "BBBB10", "year": 2027}],
      "payer": {"rut": "12345678-5", "name": "A B", "email": "a@b.cl"}, "return_url": RETURN_URL},
     {}, "idempotency_key_required", "Idempotency-Key"),
    ({"items": [{"type": "permit", "plate": "BBBB10", "year": 2027}],
      "payer": {"rut": "12345678-5", "name": "A B", "email": "a@b.cl"}, "return_url": RETURN_URL},
     {"Idempotency-Key": "bad key!"}, "invalid_idempotency_key", "Idempotency-Key"),
])
def test_bad_payment_requests_get_their_error(world, body, headers, code, field):
    status, answer, _ = request(world, "post", "/v1/municipalities/13101/payments", body=body, headers=headers)
    assert status == 400, answer
    assert answer["error"]["code"] == code
    assert answer["error"]["field"].startswith(field)


def test_a_crash_after_the_payment_was_created_is_resumed_not_repeated(world, monkeypatch):
    repo = wiring.payments_repo()
    real_update = repo.update_fields
    calls = {"n": 0}

    def fail_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise DependencyUnavailable("La base de datos no está disponible.", code="database_unavailable")
        return real_update(*args, **kwargs)

    monkeypatch.setattr(repo, "update_fields", fail_once)
    items = [{"type": "debt", "debt_id": "ASE-2027-1-000871"}]
    status, body, _ = pay(world, items, code="13114", key="k-crash")
    assert (status, body["error"]["code"]) == (503, "database_unavailable")
    from chalicelib.adapters import table_keys

    first_attempt = wiring.data_table().get(table_keys.idempotency("13114", "k-crash"), "IDEM")["payment_id"]
    status, body, _ = pay(world, items, code="13114", key="k-crash")
    assert (status, body["error"]["code"]) == (409, "idempotency_in_progress")  # the lease (60 s) still runs
    world["clock"].now += timedelta(seconds=61)
    try:
        status, resumed, _ = pay(world, items, code="13114", key="k-crash")
        assert status == 201, resumed
        assert resumed["payment_id"] == first_attempt
        again_status, again, _ = pay(world, items, code="13114", key="k-crash")
        assert (again_status, again) == (201, resumed)
        orders = [pid for pid in world["gateway"].orders if pid.startswith("13114-")]
        assert resumed["payment_id"] in orders
        created = [e for e in repo.events("13114", resumed["payment_id"]) if e["type"] == "created"]
        assert len(created) == 1
        assert notify(world, resumed["payment_id"], status="rejected")[1]["status"] == "rejected"
    finally:
        world["clock"].now -= timedelta(seconds=61)


def new_aseo_debt(debt_id, installment):
    """An open aseo installment of the demo payer in 13101, for one test's payment."""
    from chalicelib.adapters.debts_repo import DebtRepository

    wiring.data_table().put(DebtRepository.row("13101", {
        "debt_id": debt_id, "type": "aseo", "rut": "12345678-5", "status": "open", "amount": 21_480,
        "description": f"Derechos de aseo rol 9-9, cuota {installment} de 4, 2027", "period": f"2027-Q{installment}",
        "due_date": f"2027-{3 * installment + 1:02d}-30"}))


def test_a_receipt_job_the_queue_refused_is_queued_by_the_outbox_sweep(world, monkeypatch):
    """The transactional outbox: the payment is marked paid with its job pending in one write; when
    SQS refuses the job, the sweep queues it later (nothing approved waits forever)."""
    from chalicelib.adapters.job_queue import JobQueue
    from chalicelib.worker.schedules import run_sweep

    new_aseo_debt("ASE-2027-2-OUTBOX", 2)
    status, created, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-2-OUTBOX"}], key="k-outbox")
    assert status == 201, created
    real_send = JobQueue.send

    def refused(self, job, *, delay_s=0):
        raise DependencyUnavailable("cola no disponible", code="queue_unavailable")

    monkeypatch.setattr(JobQueue, "send", refused)
    code, answer = notify(world, created["payment_id"])
    assert code == 503, answer  # TGR is told to retry; the payment is already paid
    payment = wiring.payments_repo().get("13101", created["payment_id"])
    assert (payment["status"], payment["receipt_job"]) == ("paid", "pending")
    assert [j for j in queued_jobs() if j["payment_id"] == created["payment_id"]] == []

    monkeypatch.setattr(JobQueue, "send", real_send)
    assert run_sweep()["receipts_queued"] >= 1
    jobs = [j for j in queued_jobs() if j["payment_id"] == created["payment_id"]]
    assert jobs == [{"kind": "receipt", "municipality": "13101", "payment_id": created["payment_id"]}]
    assert wiring.payments_repo().get("13101", created["payment_id"])["receipt_job"] == "queued"
    assert run_sweep()["receipts_queued"] == 0  # queued: nothing more until the recheck time


def test_an_unfinished_receipt_is_queued_again_at_its_recheck_time_until_its_email_is_settled(world):
    """A job lost after its retries (dead-lettered) is not the end: the outbox mark stays until the
    e-mail is settled, and the sweep queues the job again at the recheck time."""
    from chalicelib.domain.payments import utc_key
    from chalicelib.settings import get_settings
    from chalicelib.worker.schedules import run_sweep

    new_aseo_debt("ASE-2027-3-RECHECK", 3)
    status, created, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-3-RECHECK"}], key="k-recheck")
    assert status == 201, created
    pid = created["payment_id"]
    assert notify(world, pid)[0] == 200
    queued_jobs()  # the job is taken and never finished (as if it had gone to the dead-letter queue)
    assert run_sweep()["receipts_queued"] == 0
    recheck = get_settings().receipt_recheck_s
    world["clock"].now += timedelta(seconds=recheck + 60)
    try:
        assert run_sweep()["receipts_queued"] >= 1
        assert [j["payment_id"] for j in queued_jobs() if j["payment_id"] == pid] == [pid]
        # The e-mail is settled: the mark goes, and no later sweep queues the job again.
        repo, now = wiring.receipts_repo(), world["clock"]()
        assert repo.claim_email("13101", pid, attempt_id="a1", now_key=utc_key(now),
                                lease_until=utc_key(now + timedelta(minutes=2)), attempts=1)
        assert repo.record_email("13101", pid, attempt_id="a1", state={"status": "sent", "message_id": "m1",
                                                                        "at": utc_key(now), "attempts": 1},
                                 attempt_row={"sk": f"EMAIL#{utc_key(now)}#001#a1", "outcome": "sent"})
        assert "gsi3pk" not in wiring.payments_repo().get("13101", pid)
        assert pid not in wiring.payments_repo().unqueued_receipts("13101", "9999-12-31T00:00:00Z")
    finally:
        world["clock"].now -= timedelta(seconds=recheck + 60)


def test_a_payment_is_listed_by_small_entries_written_once_and_its_record_is_in_no_listing_index(world):
    """Issue #18: the record (written at every step) is in no `ALL` index; the listings by day and
    by RUT use one small entry written with the payment, and still find it after it is paid."""
    from chalicelib.adapters.payments_repo import LISTING

    new_aseo_debt("ASE-2027-4-LISTED", 4)
    status, created, _ = pay(world, [{"type": "debt", "debt_id": "ASE-2027-4-LISTED"}], key="k-listed")
    assert status == 201, created
    pid = created["payment_id"]
    assert notify(world, pid)[0] == 200
    table, repo = wiring.data_table(), wiring.payments_repo()
    meta = repo.get("13101", pid)
    assert meta["status"] == "paid"
    assert not {"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"} & set(meta)
    entry = table.get(f"13101#PAY#{pid}", LISTING)
    assert entry["gsi1pk"] == f"13101#PAYDAY#{meta['created_at'][:10]}"
    assert entry["gsi2pk"] == f"13101#RUT#{meta['payer']['rut']}"
    assert set(entry) == {"pk", "sk", "payment_id", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"}
    listed = [m["payment_id"] for m in repo.created_on("13101", meta["created_at"][:10])]
    assert pid in listed
    assert pid in [m["payment_id"] for m in repo.paid_on("13101", meta["paid_at"][:10])]
    # The job was sent right after `paid`: the outbox mark waits at the recheck time, unwritten since.
    from chalicelib.domain.payments import utc_key

    assert pid not in repo.unqueued_receipts("13101", utc_key(world["clock"]()))
