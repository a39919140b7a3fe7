"""The one-off migration of permit holds to their plate's partition, against moto: holds the
earlier release kept under one key per installment (`00000#HOLD#PERMIT#<plate>#<year>#<n>` /
`HOLD`) are copied to their installment's map (`i<n>`) of `00000#HOLD#PERMIT#<plate>` / `<year>`,
so a plate paid before the deploy is still paid after it; running it again changes nothing; an
old hold that changed after its copy (the old release ran until the deploy) is copied again, but a hold the new release
wrote or changed is never replaced."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.payments_repo import event_row
from chalicelib.adapters.tgr_client import GatewayOrder
from chalicelib.services import citizens, payments, quotes
from chalicelib.services.hold_migration import migrate

ORIGIN = "http://127.0.0.1:8400"
PLATFORM = "00000"


class Gateway:
    def create_order(self, *, payment_id, municipality, amount, description, return_url, notify_url):
        return GatewayOrder(f"TGR-{payment_id[-6:]}", f"http://127.0.0.1:9/checkout/{payment_id}")


def portal():
    return citizens.citizen_portal(wiring.citizen_context(), "13101", ORIGIN)


def pay(plate, key, *, paid):
    ctx = wiring.payment_context()
    ctx.gateway = Gateway()
    created = payments.create_payment(portal(), key, {
        "items": [{"type": "permit", "plate": plate, "year": 2027, "installment": "full"}],
        "payer": {"rut": "12345678-5", "name": "María Pérez Soto", "email": "maria@ciudadano.demo"},
        "return_url": f"{ORIGIN}/mis-pagos/"}, ctx)
    if paid:
        at = datetime.now().astimezone().isoformat(timespec="seconds")
        wiring.payments_repo().transition("13101", created["payment_id"], from_status="pending", to_status="paid",
                                          set_fields={"paid_at": at}, remove_fields=["gsi3pk", "gsi3sk"],
                                          event=event_row("13101", created["payment_id"], at, "paid", {}),
                                          holds=_refs(plate), hold_status="paid")
    return created["payment_id"]


def _refs(plate):
    return [(PLATFORM, f"PERMIT#{plate}#2027#{half}") for half in "12"]


def as_the_old_release_kept_it(plate):
    """Move the plate's holds back to the keys the earlier release used."""
    table = wiring.data_table()
    for ref in _refs(plate):
        hold = wiring.payments_repo().hold(ref)
        old_pk, old_sk = table_keys.legacy_permit_hold(PLATFORM, ref[1])
        table.put({**hold, "pk": old_pk, "sk": old_sk})
    pk, sk = table_keys.hold(PLATFORM, _refs(plate)[0][1])
    table._client.delete_item(TableName=table.name, Key={"pk": {"S": pk}, "sk": {"S": sk}})


def statuses(plate):
    holds = wiring.payments_repo().permit_holds(plate, consistent=True)
    return [holds.get(key, {}).get("status") for _, key in _refs(plate)]


def quote(plate):
    return quotes.permit_quote(portal(), plate, 2027, wiring.payment_context())


def run():
    today = wiring.today_in_chile()
    return migrate(wiring.payments_repo(), ["13101", "13114"], since=today, until=today)


@pytest.fixture
def world(demo_stack):
    paid = pay("BBBB10", "migration-paid", paid=True)
    pending = pay("CDFG23", "migration-pending", paid=False)
    for plate in ("BBBB10", "CDFG23"):
        as_the_old_release_kept_it(plate)
    return {"paid": paid, "pending": pending}


def test_the_migration_copies_the_old_holds_once(world):
    # before it, the new release does not see what was paid: the plate would be payable again
    assert statuses("BBBB10") == [None, None]
    assert quote("BBBB10")["payable"] is True

    first = run()
    assert first["payments"] == 2
    assert (first["holds"], first["copied"], first["already"], first["absent"]) == (4, 4, 0, 0)
    assert statuses("BBBB10") == ["paid", "paid"]
    assert statuses("CDFG23") == ["pending", "pending"]
    copied = wiring.payments_repo().permit_holds("BBBB10", consistent=True)["PERMIT#BBBB10#2027#1"]
    assert (copied["payment_id"], copied["municipality"], copied["item"]) == (world["paid"], "13101",
                                                                              "PERMIT#BBBB10#2027#1")
    year = wiring.data_table().get(table_keys.permit_holds(PLATFORM, "BBBB10"), "2027", consistent=True)
    assert [(year[slot]["payment_id"], year[slot]["status"]) for slot in ("i1", "i2")] == [(world["paid"], "paid")] * 2
    answer = quote("BBBB10")
    assert answer["payable"] is False
    assert "La primera cuota del permiso 2027 ya está pagada." in answer["reasons"]

    again = run()
    assert (again["holds"], again["copied"], again["already"]) == (4, 0, 4)
    assert statuses("BBBB10") == ["paid", "paid"]


def test_an_old_hold_changed_after_its_copy_is_copied_again_but_the_new_releases_writes_win(world):
    run()
    table = wiring.data_table()
    later = "2099-01-01T00:00:00Z"
    for _, item_key in _refs("CDFG23"):  # the old release marked the pending payment paid after the copy
        old_pk, old_sk = table_keys.legacy_permit_hold(PLATFORM, item_key)
        table.update(old_pk, old_sk, "SET #s = :paid, updated_at = :at", names={"#s": "status"},
                     values={":paid": "paid", ":at": later})
    at = datetime.now().astimezone().isoformat(timespec="seconds")  # the new release released BBBB10's 2027#1
    wiring.payments_repo().transition("13101", world["paid"], from_status="paid", to_status="paid", set_fields={},
                                      event=event_row("13101", world["paid"], at, "noted", {}),
                                      holds=_refs("BBBB10")[:1], hold_status="released")
    old_pk, old_sk = table_keys.legacy_permit_hold(PLATFORM, _refs("BBBB10")[0][1])
    table.update(old_pk, old_sk, "SET updated_at = :at", values={":at": later})

    third = run()
    assert (third["copied"], third["already"]) == (2, 2)
    assert statuses("CDFG23") == ["paid", "paid"]
    assert statuses("BBBB10") == ["released", "paid"]


def test_the_migration_refuses_a_reversed_range(world):
    today = wiring.today_in_chile()
    with pytest.raises(ValueError, match="before"):
        migrate(wiring.payments_repo(), ["13101"], since=today, until=today.replace(year=today.year - 1))
