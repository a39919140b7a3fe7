"""Permit holds stored one item per plate and year, each installment's hold a map of it, against
moto: a full year's two installments are one conditional write, each installment as strict as
when it was an item of its own; installments of one year held by different payments coexist;
a refused hold names its own cart item; readers get one hold per item key, rows of the release
before included."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.payments_repo import PLATFORM, event_row
from chalicelib.domain.errors import ConditionFailed, Conflict

NOW = "2027-03-20T10:00:00Z"
LATER = "2027-03-20T12:00:00Z"
EXPIRES = "2027-03-20T11:30:00Z"


def key(plate: str, half: int, year: int = 2027) -> str:
    return f"PERMIT#{plate}#{year}#{half}"


def meta(payment_id: str, carts: list[list[str]]) -> dict[str, Any]:
    return {"pk": table_keys.payment("13101", payment_id), "sk": "META", "payment_id": payment_id,
            "municipality": "13101", "status": "pending",
            "items": [{"type": "permit", "holds": holds} for holds in carts]}


def create(payment_id: str, carts: list[list[str]], *, now: str = NOW) -> None:
    refs = [(PLATFORM, k) for holds in carts for k in holds]
    wiring.payments_repo().create(meta(payment_id, carts), (), refs, now_iso=now, hold_expires_at=EXPIRES)


def move(payment_id: str, refs: list[str], hold_status: str) -> None:
    wiring.payments_repo().transition("13101", payment_id, from_status="pending", to_status=hold_status,
                                      set_fields={}, event=event_row("13101", payment_id, NOW, "noted", {}),
                                      holds=[(PLATFORM, k) for k in refs], hold_status=hold_status)


def year_item(plate: str, year: str = "2027") -> dict[str, Any] | None:
    return wiring.data_table().get(table_keys.permit_holds(PLATFORM, plate), year, consistent=True)


@pytest.fixture
def repo(stack):
    return wiring.payments_repo()


def test_a_full_year_is_one_item_with_both_installments(repo):
    create("p-full", [[key("HOLD11", 1), key("HOLD11", 2)]])
    item = year_item("HOLD11")
    assert item is not None
    assert {(item[s]["payment_id"], item[s]["status"], item[s]["item"]) for s in ("i1", "i2")} == {
        ("p-full", "pending", key("HOLD11", 1)), ("p-full", "pending", key("HOLD11", 2))}
    move("p-full", [key("HOLD11", 1), key("HOLD11", 2)], "paid")
    holds = repo.permit_holds("HOLD11", consistent=True)
    assert {k: (h["status"], h["payment_id"]) for k, h in holds.items()} == {
        key("HOLD11", 1): ("paid", "p-full"), key("HOLD11", 2): ("paid", "p-full")}
    assert repo.hold((PLATFORM, key("HOLD11", 2)))["status"] == "paid"


def test_installments_of_one_year_held_by_two_payments_coexist(repo):
    create("p-first", [[key("HOLD12", 1)]])
    move("p-first", [key("HOLD12", 1)], "paid")
    create("p-second", [[key("HOLD12", 2)]], now=LATER)
    item = year_item("HOLD12")
    assert (item["i1"]["payment_id"], item["i1"]["status"]) == ("p-first", "paid")
    assert (item["i2"]["payment_id"], item["i2"]["status"]) == ("p-second", "pending")
    # the second's release touches only its own installment; the first's cannot be moved by it
    with pytest.raises(ConditionFailed):
        move("p-second", [key("HOLD12", 1)], "released")
    move("p-second", [key("HOLD12", 2)], "released")
    holds = repo.permit_holds("HOLD12", consistent=True)
    assert (holds[key("HOLD12", 1)]["status"], holds[key("HOLD12", 2)]["status"]) == ("paid", "released")


@pytest.mark.parametrize(("first_end", "now", "free"), [
    (None, NOW, False),             # pending, not expired: held
    (None, LATER, True),            # pending past its expiry: free
    ("released", NOW, True),
    ("paid", LATER, False),
    ("review", LATER, False),
])
def test_each_installment_is_as_strict_as_its_own_item(repo, first_end, now, free):
    create("p-one", [[key("HOLD13", 2)]])
    if first_end:
        move("p-one", [key("HOLD13", 2)], first_end)
    if free:
        create("p-two", [[key("HOLD13", 1), key("HOLD13", 2)]], now=now)
        assert repo.hold((PLATFORM, key("HOLD13", 2)))["payment_id"] == "p-two"
        return
    with pytest.raises(Conflict) as refused:
        create("p-two", [[key("HOLD13", 1), key("HOLD13", 2)]], now=now)
    assert refused.value.field == "items[0]"
    item = year_item("HOLD13")
    assert "i1" not in item
    assert item["i2"]["payment_id"] == "p-one"


def test_an_annulled_installment_is_free_again(repo):
    create("p-one", [[key("HOLD14", 1), key("HOLD14", 2)]])
    move("p-one", [key("HOLD14", 1), key("HOLD14", 2)], "paid")
    repo_table = wiring.data_table()
    repo_table.update(table_keys.permit_holds(PLATFORM, "HOLD14"), "2027", "SET i1.#s = :a",
                      names={"#s": "status"}, values={":a": "annulled"})
    with pytest.raises(Conflict):  # the second installment is still paid
        create("p-two", [[key("HOLD14", 1), key("HOLD14", 2)]], now=LATER)
    create("p-two", [[key("HOLD14", 1)]], now=LATER)
    assert repo.hold((PLATFORM, key("HOLD14", 1)))["payment_id"] == "p-two"


def test_a_refused_installment_names_its_own_cart_item(repo):
    create("p-one", [[key("HOLD15", 2)]])
    with pytest.raises(Conflict) as refused:  # both installments of the year as separate cart items
        create("p-two", [[key("HOLD16", 1)], [key("HOLD15", 1)], [key("HOLD15", 2)]])
    assert refused.value.field == "items[2]"
    with pytest.raises(Conflict) as refused:
        create("p-three", [[key("HOLD15", 2)], [key("HOLD16", 1)]])
    assert refused.value.field == "items[0]"


def test_a_transition_reports_which_installment_another_payment_has(repo):
    create("p-old", [[key("HOLD17", 1), key("HOLD17", 2)]])
    create("p-new", [[key("HOLD17", 2)]], now=LATER)  # the old one's hold expired and was taken
    with pytest.raises(ConditionFailed) as failed:
        move("p-old", [key("HOLD17", 1), key("HOLD17", 2)], "paid")
    assert failed.value.reasons[:3] == ["None", "None", "ConditionalCheckFailed"]
    move("p-old", [key("HOLD17", 1)], "review")
    holds = repo.permit_holds("HOLD17", consistent=True)
    assert (holds[key("HOLD17", 1)]["status"], holds[key("HOLD17", 2)]["payment_id"]) == ("review", "p-new")


def test_rows_of_the_release_before_are_still_read(repo):
    table = wiring.data_table()
    for half in (1, 2):
        pk, sk = table_keys.installment_permit_hold(PLATFORM, key("HOLD18", half))
        table.put({"pk": pk, "sk": sk, "item": key("HOLD18", half), "status": "paid", "payment_id": "p-old",
                   "municipality": "13101"})
    create("p-next", [[key("HOLD18", 1, 2028)]])
    holds = repo.permit_holds("HOLD18", consistent=True)
    assert {k: h["payment_id"] for k, h in holds.items()} == {
        key("HOLD18", 1): "p-old", key("HOLD18", 2): "p-old", key("HOLD18", 1, 2028): "p-next"}
    assert repo.hold((PLATFORM, key("HOLD18", 2)))["status"] == "paid"
    assert repo.hold((PLATFORM, key("HOLD18", 2, 2028))) is None


def test_a_full_years_annulment_is_one_write_each_installment_conditional(repo):
    from chalicelib.adapters.refunds_repo import Annulment, RefundRepository

    create("p-full", [[key("HOLD19", 1), key("HOLD19", 2)]])
    move("p-full", [key("HOLD19", 1), key("HOLD19", 2)], "paid")
    refs = [(PLATFORM, key("HOLD19", 1)), (PLATFORM, key("HOLD19", 2))]
    operations = RefundRepository._annulment_ops("13101", "p-full", Annulment(at=LATER, reason="r", holds=refs))
    assert len(operations) == 1
    with pytest.raises(ConditionFailed):  # another payment's annulment cannot touch them
        wiring.data_table().transact(
            RefundRepository._annulment_ops("13101", "p-other", Annulment(at=LATER, reason="r", holds=refs)))
    wiring.data_table().transact(operations)
    holds = repo.permit_holds("HOLD19", consistent=True)
    assert {(h["status"], h["annulled_at"]) for h in holds.values()} == {("annulled", LATER)}
    create("p-again", [[key("HOLD19", 1), key("HOLD19", 2)]], now=LATER)  # annulled: free again
