"""The personal-data retention job against moto, with an injected clock: what expired is stripped,
what a legal obligation keeps is untouched, a receipt still verifies, and every run is counted
in the audit log (docs/personal-data.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.domain.personal_data import RETENTION, retention_seconds
from chalicelib.domain.receipt_codes import code_hash, normalize_code
from chalicelib.services import retention
from chalicelib.services.verification import receipt_verification
from tests.support.clocks import Clock

SANTIAGO = ZoneInfo("America/Santiago")
CODE = "13101"
OTHER = "05101"
VERIFICATION = "K7P39XQ2M4"


@pytest.fixture
def world(stack):
    clock = Clock(datetime(2027, 6, 30, 12, 0, tzinfo=SANTIAGO))
    ctx = wiring.retention_context()
    ctx.clock = clock
    ctx.first_day = (clock.now - timedelta(days=250)).date()  # the payments below are newer
    ctx.max_days = 1000  # a first run catches up at once (the bounded walk has its own test)
    return {"ctx": ctx, "clock": clock, "table": wiring.data_table()}


def add_payment(world, payment_id, *, days_ago, status, email_status=None, code=CODE, folio=None):
    """A payment as the payment and receipt services write it (META, one item row, one e-mail row)."""
    created = world["clock"].now - timedelta(days=days_ago)
    day, key = created.date().isoformat(), created.strftime("%Y-%m-%dT%H:%M:%SZ")
    pid = f"{code}-{payment_id}"
    meta = {"pk": table_keys.payment(code, pid), "sk": "META", "payment_id": pid, "municipality": code,
            "status": status, "amount": 45000, "created_at": created.isoformat(timespec="seconds"),
            "payer": {"rut": "12345678-5", "name": "María Pérez", "email": "maria@example.cl"},
            "items": [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full", "amount": 45000,
                       "owner_rut": "12345678-5",
                       "description": "Permiso de circulación 2027, BBBB10"}],
            "gsi1pk": table_keys.payments_by_day(code, day), "gsi1sk": f"{key}#{pid}",
            "gsi2pk": table_keys.by_rut(code, "12345678-5"), "gsi2sk": f"PAY#{key}#{pid}"}
    if email_status:
        meta["email"] = {"status": email_status, "attempts": 1}
    if folio:
        meta["receipt"] = {"folio": folio}
    world["table"].put(meta)
    world["table"].put({"pk": table_keys.payment(code, pid), "sk": f"EMAIL#{key}#000#a1", "outcome": "sent",
                        "to": "maria@example.cl", "message_id": "m-1", "kind": "receipt"})
    if folio:
        world["table"].put({"pk": table_keys.receipt(code, folio), "sk": "RECEIPT", "folio": folio,
                            "municipality": code,
                            "payment_id": pid, "amount": 45000, "issued_at": created.isoformat(timespec="seconds"),
                            "code_hash": code_hash(folio, normalize_code(VERIFICATION)), "status": "issued",
                            "signature": {"status": "signed"}})
    return pid


def meta(world, pid, code=CODE):
    return world["table"].get(table_keys.payment(code, pid), "META", consistent=True)


def email_row(world, pid, code=CODE):
    return next(iter(world["table"].query_all(table_keys.payment(code, pid), sk_prefix="EMAIL#")))


def audit_entries(world, code=CODE):
    month = world["clock"].now.astimezone(ZoneInfo("UTC")).strftime("%Y-%m")
    return [e for e in world["table"].query_all(table_keys.audit(code, month))
            if e["action"] == "personal_data.retention"]


def test_a_paid_payment_keeps_its_legal_content_and_loses_its_email_after_the_period(world):
    pid = add_payment(world, "P1", days_ago=100, status="paid", email_status="sent", folio="13101-2027-000001")
    before = meta(world, pid)

    summary = retention.run(CODE, world["ctx"])

    after = meta(world, pid)
    assert "email" not in after["payer"]
    assert after["payer"] == {"rut": "12345678-5", "name": "María Pérez"}
    assert after["items"] == before["items"]
    assert after["amount"] == 45000
    assert after["status"] == "paid"
    assert after["gsi2pk"] == before["gsi2pk"]  # a paid payment stays findable by RUT
    row = email_row(world, pid)
    assert "to" not in row
    assert row["outcome"] == "sent"
    assert row["message_id"] == "m-1"
    assert summary["email_through"]["anonymized"] == 1
    assert summary["email_through"]["delivery_rows"] == 1
    # the receipt's record is untouched and its public verification still answers
    verified = receipt_verification("13101-2027-000001", VERIFICATION, wiring.verification_context(), source=None)
    assert verified["valid"] is True
    assert verified["amount"] == 45000
    [entry] = audit_entries(world)
    assert entry["actor"] == retention.ACTOR
    assert entry["after"]["email_through"]["anonymized"] == 1


def test_nothing_is_touched_before_its_period_and_the_clock_decides(world):
    pid = add_payment(world, "P2", days_ago=30, status="paid", email_status="sent")
    assert retention.run(CODE, world["ctx"])["email_through"]["anonymized"] == 0
    assert meta(world, pid)["payer"]["email"] == "maria@example.cl"
    assert audit_entries(world) == []  # nothing done, nothing to count

    world["clock"].now += timedelta(days=RETENTION["payer_email"].days - 30 + 1)
    assert retention.run(CODE, world["ctx"])["email_through"]["anonymized"] == 1
    assert "email" not in meta(world, pid)["payer"]


def test_an_unpaid_payment_loses_its_payer_after_its_period_a_paid_one_never(world):
    unpaid = add_payment(world, "U1", days_ago=200, status="expired")
    paid = add_payment(world, "P3", days_ago=200, status="paid", email_status="failed")

    retention.run(CODE, world["ctx"])

    gone = meta(world, unpaid)
    assert gone["payer"] == {"anonymized_at": world["clock"].now.isoformat(timespec="seconds")}
    assert "gsi2pk" not in gone
    assert "owner_rut" not in gone["items"][0]
    assert gone["items"][0]["plate"] == "BBBB10"
    assert gone["amount"] == 45000
    kept = meta(world, paid)
    assert kept["payer"] == {"rut": "12345678-5", "name": "María Pérez"}
    assert kept["items"][0]["owner_rut"] == "12345678-5"


def test_a_payment_that_cannot_be_touched_yet_waits_and_is_done_when_it_can(world):
    pid = add_payment(world, "P4", days_ago=100, status="paid", email_status="retry")
    review = add_payment(world, "R1", days_ago=100, status="review")

    summary = retention.run(CODE, world["ctx"])

    assert summary["email_through"]["deferred"] == 2
    assert meta(world, pid)["payer"]["email"] == "maria@example.cl"
    assert meta(world, review)["payer"]["email"] == "maria@example.cl"
    assert "to" in email_row(world, pid)
    marker = world["table"].get(table_keys.retention_marker(CODE), "MARKER", consistent=True)
    assert set(marker["email_through_waiting"]) == {pid, review}

    world["table"].update(table_keys.payment(CODE, pid), "META", "SET #e.#s = :sent",
                          names={"#e": "email", "#s": "status"}, values={":sent": "sent"})
    world["clock"].now += timedelta(hours=1)
    again = retention.run(CODE, world["ctx"])

    assert again["email_through"]["anonymized"] == 1
    assert again["email_through"]["deferred"] == 1
    assert "email" not in meta(world, pid)["payer"]
    assert meta(world, review)["payer"]["email"] == "maria@example.cl"  # still under review
    marker = world["table"].get(table_keys.retention_marker(CODE), "MARKER", consistent=True)
    assert marker["email_through_waiting"] == [review]


def test_a_payment_without_an_address_never_waits(world):
    pid = add_payment(world, "H1", days_ago=100, status="paid")
    world["table"].update(table_keys.payment(CODE, pid), "META", "REMOVE #p.#m", names={"#p": "payer", "#m": "email"})

    summary = retention.run(CODE, world["ctx"])

    assert summary["email_through"]["deferred"] == 0
    marker = world["table"].get(table_keys.retention_marker(CODE), "MARKER", consistent=True)
    assert marker["email_through_waiting"] == []


def test_a_second_run_does_nothing_and_counts_nothing(world):
    add_payment(world, "P5", days_ago=100, status="paid", email_status="sent")
    retention.run(CODE, world["ctx"])
    assert len(audit_entries(world)) == 1

    world["clock"].now += timedelta(hours=1)
    summary = retention.run(CODE, world["ctx"])

    assert all(p["anonymized"] == 0 and p["delivery_rows"] == 0 for p in summary.values())
    assert len(audit_entries(world)) == 1


def test_each_municipality_only_touches_its_own_payments(world):
    mine = add_payment(world, "P6", days_ago=100, status="paid", email_status="sent")
    theirs = add_payment(world, "P7", days_ago=100, status="paid", email_status="sent", code=OTHER)

    retention.run(CODE, world["ctx"])

    assert "email" not in meta(world, mine)["payer"]
    assert meta(world, theirs, OTHER)["payer"]["email"] == "maria@example.cl"
    assert audit_entries(world, OTHER) == []


def test_a_run_walks_a_bounded_number_of_days_and_resumes(world):
    pid = add_payment(world, "P8", days_ago=100, status="paid", email_status="sent")
    world["ctx"].max_days = 10
    first = retention.run(CODE, world["ctx"])
    assert first["email_through"]["days"] == 10
    for _ in range(30):
        if "email" not in meta(world, pid)["payer"]:
            break
        retention.run(CODE, world["ctx"])
    assert "email" not in meta(world, pid)["payer"]


def test_ttl_records_expire_as_the_register_says(world):
    from chalicelib.adapters.idempotency_repo import IdempotencyRepository

    IdempotencyRepository(world["table"]).claim(CODE, "k-1", "h", payment_id=f"{CODE}-P1", now_epoch=1_000)
    record = world["table"].get(table_keys.idempotency(CODE, "k-1"), "IDEM", consistent=True)
    assert record["ttl"] == 1_000 + retention_seconds("idempotency") == 1_000 + 48 * 3600


def test_the_scheduled_function_runs_over_every_municipality_of_the_demo(demo_stack):
    from chalicelib.worker.retention import purge_personal_data
    from devstack.worker_runner import LambdaContext, scheduled_event

    totals = purge_personal_data(scheduled_event(), LambdaContext())

    assert totals["municipalities"] == len(wiring.municipalities().list_all()) >= 2
    for code in (m["code"] for m in wiring.municipalities().list_all()):
        assert "email_through" in wiring.data_table().get(table_keys.retention_marker(code), "MARKER", consistent=True)


def test_the_ses_events_of_an_expired_payment_lose_their_recipient_too(world):
    """SES's delivery events (docs/email-events.md) carry the address: it goes with the payer's."""
    pid = add_payment(world, "P9", days_ago=100, status="paid", email_status="sent")
    world["table"].put({"pk": table_keys.payment(CODE, pid), "sk": "EMAILEVT#a1#delivery#2027-01-01T10:00:00Z#m-1",
                        "type": "delivery", "at": "2027-01-01T10:00:00Z", "message_id": "m-1",
                        "recipient": "maria@example.cl"})

    summary = retention.run(CODE, world["ctx"])

    [event] = world["table"].query_all(table_keys.payment(CODE, pid), sk_prefix="EMAILEVT#")
    assert "recipient" not in event
    assert (event["type"], event["message_id"]) == ("delivery", "m-1")  # what happened stays
    assert summary["email_through"]["delivery_rows"] == 2  # the attempt's `to` and the event's recipient
