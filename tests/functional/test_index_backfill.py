"""The backfill of the national "Mis pagos" index against moto: payments made before the index
existed (created here with no index secret, as the earlier release did) get their pointer; paid
ones only; a payment indexed at creation is left alone; running it again changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib import wiring
from chalicelib.adapters.payments_repo import event_row
from chalicelib.adapters.tgr_client import GatewayOrder
from chalicelib.services import citizens, payments
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.index_backfill import backfill

MARIA = "12345678-5"
ORIGIN = "http://127.0.0.1:8400"


class Gateway:
    def create_order(self, *, payment_id, municipality, amount, description, return_url, notify_url):
        return GatewayOrder(f"TGR-{payment_id[-6:]}", f"http://127.0.0.1:9/checkout/{payment_id}")


def pay(items, key, *, indexed, paid):
    ctx = wiring.payment_context()
    ctx.gateway = Gateway()
    if not indexed:
        ctx.citizen_index_secret = ""  # the release before the index: no pointer with the payment
    portal = citizens.citizen_portal(wiring.citizen_context(), "13101", ORIGIN)
    created = payments.create_payment(portal, key, {
        "items": items, "payer": {"rut": MARIA, "name": "María Pérez Soto", "email": "maria@ciudadano.demo"},
        "return_url": f"{ORIGIN}/mis-pagos/"}, ctx)
    if paid:
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        wiring.payments_repo().transition("13101", created["payment_id"], from_status="pending", to_status="paid",
                                          set_fields={"paid_at": at}, remove_fields=["gsi3pk", "gsi3sk"],
                                          event=event_row("13101", created["payment_id"], at, "paid", {}))
    return created["payment_id"]


@pytest.fixture
def world(demo_stack):
    old_paid = pay([{"type": "debt", "debt_id": "PAT-2027-1-000123"}], "backfill-old-paid", indexed=False, paid=True)
    old_pending = pay([{"type": "debt", "debt_id": "ASE-2027-1-004567"}], "backfill-old-pend", indexed=False,
                      paid=False)
    new_paid = pay([{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"}], "backfill-new-paid",
                   indexed=True, paid=True)
    return {"old_paid": old_paid, "old_pending": old_pending, "new_paid": new_paid}


def listed(run):
    ctx = wiring.citizen_context()
    return {p["payment_id"] for p in citizens.my_payments(ctx, citizens.Citizen(run=_rut(run), name=""))["payments"]}


def _rut(run):
    from chalicelib.domain.rut import parse_rut

    return parse_rut(run)


def test_the_backfill_indexes_old_paid_payments_once(world):
    assert listed(MARIA) == {world["new_paid"]}  # before: only what was indexed at creation
    secret = wiring.citizen_context().index_secret
    today = wiring.today_in_chile()
    first = backfill(wiring.citizen_repo(), ["13101", "13114"], secret, since=today, until=today)
    assert first["seen"] == 3
    assert first["indexed"] == 1
    assert first["already"] == 1
    assert first["not_paid"] == 1
    assert listed(MARIA) == {world["new_paid"], world["old_paid"]}
    # the pointer is the very item a payment's creation writes: a keyed hash, no RUN
    pointers = wiring.citizen_repo().payment_pointers(run_digest(secret, MARIA))
    assert {p["payment_id"] for p in pointers} == {world["new_paid"], world["old_paid"]}

    again = backfill(wiring.citizen_repo(), ["13101", "13114"], secret, since=today, until=today)
    assert again["indexed"] == 0
    assert again["already"] == 2
    assert listed(MARIA) == {world["new_paid"], world["old_paid"]}


def test_the_backfill_refuses_an_unset_secret_or_a_reversed_range(world):
    today = wiring.today_in_chile()
    with pytest.raises(ValueError, match="secret"):
        backfill(wiring.citizen_repo(), ["13101"], "", since=today, until=today)
    with pytest.raises(ValueError, match="before"):
        backfill(wiring.citizen_repo(), ["13101"], "s" * 32, since=today, until=today.replace(year=today.year - 1))
