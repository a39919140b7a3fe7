"""What a payment's creation writes (issue #18), against moto: the idempotency claim names the
payment from the start, the item rows are packed and listed by plate themselves, the listing entry
and the citizen's pointer are written before a transaction of holds and record only, and the order
is one conditional update. Every reader still finds what it found before (old rows too), and the
rows of a cart the transaction refused are harmless to every one of them."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.payments_repo import LISTING, PACKED_BREAKDOWN, PaymentRepository
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.rut import parse_rut
from tests.support.payments_world import pay, payments_world

CODE = "13101"
PAYER = "11.111.111-1"


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    yield from payments_world(shared_demo_stack)


def vehicle(plate: str) -> None:
    """A payable vehicle of this module's own (no other test holds its permit)."""
    wiring.data_table().put({"pk": table_keys.vehicle(CODE, plate), "sk": "DATA", "plate": plate,
                             "vehicle_class": "light", "make": "Kia", "model": "Rio", "model_year": 2018,
                             "propulsion": "combustion", "tasacion": 5_000_000, "owner_rut": "11111111-1",
                             "owner_name": "Ana Díaz"})


def permit(plate: str) -> list[dict]:
    return [{"type": "permit", "plate": plate, "year": 2027, "installment": "full"}]


def pay_as_ana(world, items, key):
    return pay(world, items, key=key, payer={"rut": PAYER, "name": "Ana Díaz", "email": "ana@ciudadano.demo"})


def rows_of(payment_id: str) -> dict[str, dict]:
    return {r["sk"]: r for r in wiring.data_table().query_all(table_keys.payment(CODE, payment_id))}


def pointers_to(payment_id: str) -> list[dict]:
    from chalicelib.services.citizen_index import run_digest

    ctx = wiring.payment_context()
    digest = run_digest(ctx.citizen_index_secret, parse_rut(PAYER).compact)
    return [p for p in wiring.citizen_repo().payment_pointers(digest) if p["payment_id"] == payment_id]


def by_plate(plate: str) -> list[str]:
    from chalicelib.services import admin_payments

    ctx = wiring.payments_admin()
    filters = admin_payments.normalize(date_from=None, date_to=None, status=None, service=None, rut=None,
                                       plate=plate, folio=None, today=date(2027, 3, 20))
    return [p["payment_id"] for p in admin_payments.search_payments(CODE, filters, ctx, limit=50, cursor=None)["items"]]


def my_payments() -> list[str]:
    from chalicelib.services.citizens import Citizen, my_payments

    mine = my_payments(wiring.citizen_context(), Citizen(run=parse_rut(PAYER), name="Ana"))
    return [p["payment_id"] for p in mine["payments"]]


def test_the_item_row_is_packed_small_listed_by_plate_and_read_back_as_written(world):
    vehicle("KLPT81")
    status, created, _ = pay_as_ana(world, permit("KLPT81"), "k-writes-1")
    assert status == 201, created
    pid = created["payment_id"]
    rows = rows_of(pid)
    assert set(rows) == {"META", LISTING, "ITEM#00"}  # no plate row, no event row
    item = rows["ITEM#00"]
    assert "breakdown" not in item
    assert len(json.dumps(item, default=lambda b: "x" * len(b.value))) < 1024
    assert (item["gsi2pk"], item["gsi2sk"]) == (f"{CODE}#PLATE#KLPT81", rows[LISTING]["gsi2sk"])

    [read] = wiring.payments_repo().items(CODE, pid)
    breakdown = read["breakdown"]
    assert breakdown["total"] == created["amount"]
    assert set(breakdown["checks"]) == {"insurance", "inspection", "emissions", "fines"}
    assert PACKED_BREAKDOWN not in read
    assert read["description"].startswith("Permiso de circulación 2027, KLPT81")

    assert by_plate("KLPT81") == [pid]
    assert pid in [m["payment_id"] for m in wiring.payments_repo().created_on(CODE, "2027-03-20")]
    assert len(pointers_to(pid)) == 1

    events = wiring.payments_repo().events(CODE, pid)
    assert [e["type"] for e in events] == ["created", "gateway_order_created"]
    assert events[1]["detail"] == {"order_id": world["gateway"].orders[pid].order_id}


def test_the_console_detail_shows_the_packed_breakdown_and_its_checks(world):
    from chalicelib.services.admin_payments import payment_detail

    vehicle("KLPT82")
    status, created, _ = pay_as_ana(world, permit("KLPT82"), "k-writes-2")
    assert status == 201, created
    detail = payment_detail(CODE, created["payment_id"], wiring.payments_admin())
    [item] = detail["items"]
    assert item["breakdown"]["total"] == created["amount"]
    assert "checks" not in item["breakdown"]
    assert item["checks"]["insurance"]["status"] == "ok"
    assert [e["type"] for e in detail["events"]][:2] == ["created", "gateway_order_created"]


def test_a_payment_written_by_the_older_code_still_reads(world):
    """Its item row unpacked, its plate entry a row of its own, its steps as event rows."""
    repo, table = wiring.payments_repo(), wiring.data_table()
    pid = "13101-01JOLDER0000000000000000"
    pk = table_keys.payment(CODE, pid)
    table.put({"pk": pk, "sk": "META", "payment_id": pid, "municipality": CODE, "status": "pending", "amount": 5,
               "items": [{"type": "permit", "plate": "KLPT80", "service": "permisos", "amount": 5}],
               "payer": {"rut": "11111111-1"}, "created_at": "2027-03-20T10:00:00-03:00",
               "order_id": "TGR-OLD", "checkout_url": "http://127.0.0.1:9/checkout/TGR-OLD"})
    table.put({"pk": pk, "sk": "ITEM#00", "index": 0, "description": "Permiso", "amount": 5,
               "breakdown": {"total": 5, "checks": {"insurance": {"status": "ok"}}}})
    table.put({"pk": pk, "sk": "PLATE#00", "payment_id": pid, "gsi2pk": f"{CODE}#PLATE#KLPT80",
               "gsi2sk": f"PAY#2027-03-20T13:00:00Z#{pid}"})
    table.put({"pk": pk, "sk": "EVENT#2027-03-20T13:00:01Z#001", "type": "gateway_order_created",
               "at": "2027-03-20T10:00:01-03:00", "detail": {"order_id": "TGR-OLD", "from": "row"}})

    assert repo.items(CODE, pid)[0]["breakdown"] == {"total": 5, "checks": {"insurance": {"status": "ok"}}}
    assert by_plate("KLPT80") == [pid]
    assert [(e["type"], e["detail"]) for e in repo.events(CODE, pid)] == [
        ("created", {"amount": 5, "items": 1}), ("gateway_order_created", {"order_id": "TGR-OLD", "from": "row"})]


def test_a_repeat_is_rebuilt_from_the_record_without_writing_the_key_again(world):
    vehicle("KLPT83")
    status, created, _ = pay_as_ana(world, permit("KLPT83"), "k-writes-3")
    assert status == 201, created
    claim = wiring.data_table().get(table_keys.idempotency(CODE, "k-writes-3"), "IDEM", consistent=True)
    assert claim["payment_id"] == created["payment_id"]
    assert "response" not in claim
    again_status, again, _ = pay_as_ana(world, permit("KLPT83"), "k-writes-3")
    assert (again_status, again) == (201, created)
    assert wiring.data_table().get(table_keys.idempotency(CODE, "k-writes-3"), "IDEM", consistent=True) == claim
    other_status, other, _ = pay_as_ana(world, permit("KLPT81"), "k-writes-3")
    assert (other_status, other["error"]["code"]) == (409, "idempotency_key_reused")


def test_a_key_completed_by_the_older_code_replays_its_stored_answer(world):
    from chalicelib.services.payments import access_token, request_hash

    body = {"items": permit("KLPT80"), "payer": {"rut": PAYER, "name": "Ana Díaz", "email": "ana@ciudadano.demo"},
            "return_url": "http://127.0.0.1/retorno.html"}
    stored = {"payment_id": "13101-01JOLDER0000000000000000", "status": "pending", "amount": 5,
              "checkout_url": "http://127.0.0.1:9/checkout/TGR-OLD", "expires_at": "2027-03-20T11:30:00-03:00"}
    wiring.data_table().put({"pk": table_keys.idempotency(CODE, "k-writes-old"), "sk": "IDEM",
                             "request_hash": request_hash(body), "state": "done", "response": stored,
                             "payment_id": stored["payment_id"], "lease_until": 0, "ttl": 2**31})
    status, replayed, _ = pay_as_ana(world, permit("KLPT80"), "k-writes-old")
    assert status == 201, replayed
    token = access_token(wiring.payment_context().token_secret, stored["payment_id"])
    assert replayed == {**stored, "access_token": token}


def test_the_rows_of_a_cart_the_transaction_refused_are_harmless_and_the_key_is_free_again(world, monkeypatch):
    """Between the pricing and the transaction another payment takes the permit: the item row,
    the listing entry and the pointer are written already, the record never is."""
    vehicle("KLPT84")
    real_create = PaymentRepository.create

    def taken_meanwhile(self, meta, *args, **kwargs):
        for owner, item_key in args[1]:
            pk, sk = table_keys.hold(owner, item_key)
            wiring.data_table().update(pk, sk, "SET #h = :hold", names={"#h": str(table_keys.hold_slot(item_key))},
                                       values={":hold": {"item": item_key, "status": "paid",
                                                         "payment_id": "13101-SOMEONE-ELSE", "municipality": CODE}})
        taken.append(meta["payment_id"])
        return real_create(self, meta, *args, **kwargs)

    taken: list[str] = []
    monkeypatch.setattr(PaymentRepository, "create", taken_meanwhile)
    status, body, _ = pay_as_ana(world, permit("KLPT84"), "k-writes-4")
    assert (status, body["error"]["code"], body["error"]["field"]) == (409, "item_unavailable", "items[0]")
    [refused] = taken
    assert set(rows_of(refused)) == {LISTING, "ITEM#00"}
    assert len(pointers_to(refused)) == 1

    repo = wiring.payments_repo()
    assert repo.listed(CODE, rows_of(refused)[LISTING]) is None
    assert refused not in [m["payment_id"] for m in repo.created_on(CODE, "2027-03-20")]
    assert by_plate("KLPT84") == []
    assert refused not in my_payments()
    assert refused not in _exported_payment_ids(world)
    claim = wiring.data_table().get(table_keys.idempotency(CODE, "k-writes-4"), "IDEM", consistent=True)
    assert claim["state"] == "released"
    assert "payment_id" not in claim

    # The key is free again: the same request now gets a payment of its own (the permit is taken,
    # so another cart: a free plate), under a new id.
    monkeypatch.setattr(PaymentRepository, "create", real_create)
    vehicle("KLPT85")
    status, created, _ = pay_as_ana(world, permit("KLPT85"), "k-writes-4")
    assert status == 201, created
    assert created["payment_id"] != refused
    assert created["payment_id"] in my_payments()


def _exported_payment_ids(world) -> set[str]:
    from chalicelib.services.municipality_export import ExportContext, export_municipality

    out = io.BytesIO()
    sources = ExportContext(table=wiring.data_table(), uploads=wiring.uploads_store(),
                            receipts=wiring.receipts_store(), clock=world["clock"])
    export_municipality(CODE, date(2027, 3, 20), date(2027, 3, 20), sources, out)
    with zipfile.ZipFile(out) as archive:
        lines = archive.read("payments.jsonl").decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert not any(PACKED_BREAKDOWN in r for r in rows)  # item rows exported unpacked
    assert any(r["sk"].startswith("ITEM#") and isinstance(r.get("breakdown"), dict) for r in rows)
    return {r["pk"].rsplit("#", 1)[-1] for r in rows}


def test_an_attempt_that_died_before_its_payment_existed_is_made_again_under_the_same_id(world, monkeypatch):
    """The attempt wrote its item row, listing entry and pointer, then died before the transaction;
    the retry after the lease makes the payment under the id the key named, the same rows once."""
    from chalicelib.adapters.idempotency_repo import IdempotencyRepository

    vehicle("KLPT86")

    def dies(self, *args, **kwargs):
        raise DependencyUnavailable("La base de datos no está disponible.", code="database_unavailable")

    with monkeypatch.context() as dead:
        dead.setattr(PaymentRepository, "create", dies)
        dead.setattr(IdempotencyRepository, "release", lambda self, *a, **k: None)  # died: nothing released it
        status, body, _ = pay_as_ana(world, permit("KLPT86"), "k-writes-6")
    assert (status, body["error"]["code"]) == (503, "database_unavailable")
    named = wiring.data_table().get(table_keys.idempotency(CODE, "k-writes-6"), "IDEM", consistent=True)["payment_id"]
    assert set(rows_of(named)) == {LISTING, "ITEM#00"}

    status, body, _ = pay_as_ana(world, permit("KLPT86"), "k-writes-6")
    assert (status, body["error"]["code"]) == (409, "idempotency_in_progress")  # the lease still runs
    world["clock"].now += timedelta(seconds=61)
    try:
        status, created, _ = pay_as_ana(world, permit("KLPT86"), "k-writes-6")
        assert status == 201, created
        assert created["payment_id"] == named
        assert set(rows_of(named)) == {"META", LISTING, "ITEM#00"}
        assert len(pointers_to(named)) == 1
        assert by_plate("KLPT86") == [named]
        again_status, again, _ = pay_as_ana(world, permit("KLPT86"), "k-writes-6")
        assert (again_status, again) == (201, created)
    finally:
        world["clock"].now -= timedelta(seconds=61)
