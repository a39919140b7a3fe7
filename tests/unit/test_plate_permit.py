"""The plate look-up's branching (services/verification.plate_permit) with in-memory fakes of the
holds, payments and receipt records: installments paid in two payments, the first alone, an
annulled receipt, and nothing personal in the answer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.services.verification import VerificationContext, plate_permit


class FakePayments:
    def __init__(self) -> None:
        self.holds: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}

    def permit_holds(self, plate: str, *, consistent: bool = False) -> dict[str, dict[str, Any]]:
        assert consistent, "the look-up's answer is the decision: the holds as stored now"
        return {key: hold for key, hold in self.holds.items() if key.startswith(f"PERMIT#{plate}#")}

    def get(self, code: str, payment_id: str) -> dict[str, Any] | None:
        found = self.payments.get(payment_id)
        return found if found and found["municipality"] == code else None

    def pay(self, payment_id: str, installment: str, folio: str, paid_at: str, halves: list[str]) -> None:
        self.payments[payment_id] = {
            "municipality": "13101", "paid_at": paid_at, "receipt": {"folio": folio},
            "payer": {"name": "María Pérez", "rut": "12345678-5", "email": "maria@ciudadano.demo"},
            "items": [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": installment,
                       "owner_rut": "12345678-5"}]}
        for half in halves:
            self.holds[f"PERMIT#BBBB10#2027#{half}"] = {"status": "paid", "municipality": "13101",
                                                        "payment_id": payment_id}


class FakeReceipts:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def get(self, code: str, folio: str) -> dict[str, Any] | None:
        return self.records.get(folio, {"status": "issued"})


class FakeMunicipalities:
    def get(self, code: str) -> dict[str, Any] | None:
        return {"code": code, "name": "Santiago"}


@pytest.fixture
def world() -> tuple[VerificationContext, FakePayments, FakeReceipts]:
    payments, receipts = FakePayments(), FakeReceipts()
    ctx = VerificationContext(receipts=receipts, payments=payments, municipalities=FakeMunicipalities(),  # type: ignore[arg-type]
                              store=None, limiter=None, public_api_url="http://127.0.0.1", today=date(2027, 3, 20))  # type: ignore[arg-type]
    return ctx, payments, receipts


def test_nothing_paid(world):
    ctx, _, _ = world
    body = plate_permit("BBBB10", "2027", ctx, source=None)
    assert (body["status"], body["municipality"], body["installments"], body["valid_until"]) == (
        "not_paid", None, [], None)


def test_the_first_installment_alone_is_partially_paid_until_august(world):
    ctx, payments, _ = world
    payments.pay("p1", "first", "13101-2027-000001", "2027-03-20T10:00:00-03:00", ["1"])
    body = plate_permit("bbbb-10", "2027", ctx, source=None)
    assert (body["status"], body["valid_until"]) == ("partially_paid", "2027-08-31")
    assert body["installments"] == [{"installment": "first", "folio": "13101-2027-000001",
                                     "paid_at": "2027-03-20T10:00:00-03:00", "status": "paid"}]
    assert body["municipality"] == {"code": "13101", "name": "Municipalidad de Santiago"}


def test_two_installments_in_two_payments_are_paid_until_march(world):
    ctx, payments, _ = world
    payments.pay("p2", "second", "13101-2027-000009", "2027-08-10T09:00:00-04:00", ["2"])
    payments.pay("p1", "first", "13101-2027-000001", "2027-03-20T10:00:00-03:00", ["1"])
    body = plate_permit("BBBB10", "2027", ctx, source=None)
    assert (body["status"], body["valid_until"]) == ("paid", "2028-03-31")
    assert [i["installment"] for i in body["installments"]] == ["first", "second"]  # by payment time
    text = str(body)
    for personal in ("María", "12345678", "@", "owner"):
        assert personal not in text


def test_an_annulled_receipt_annuls_its_half(world):
    ctx, payments, receipts = world
    payments.pay("p1", "full", "13101-2027-000001", "2027-03-20T10:00:00-03:00", ["1", "2"])
    receipts.records["13101-2027-000001"] = {"status": "annulled"}
    body = plate_permit("BBBB10", "2027", ctx, source=None)
    assert (body["status"], body["valid_until"], body["installments"][0]["status"]) == (
        "annulled", None, "annulled")


@pytest.mark.parametrize(("plate", "year", "field"), [
    ("", "2027", "plate"), ("BBBB1O0", "2027", "plate"), (None, "2027", "plate"),
    ("BBBB10", "", "year"), ("BBBB10", "1999", "year"), ("BBBB10", "2029", "year"), ("BBBB10", "２０２７", "year")])
def test_bad_input_names_its_field(world, plate, year, field):
    ctx, _, _ = world
    with pytest.raises(InvalidInput) as caught:
        plate_permit(plate, year, ctx, source=None)
    assert caught.value.field == field
