"""Back-year permits (docs/domain.md): a plate the national record shows paid in 2025 and not in
2026 sees 2026 listed in its 2027 quote, and a payment of 2027 alone is refused (422) naming 2026;
with 2026 in the same cart the back-year rule lets it through (to the pricing of 2026, which
names the reference data it still lacks)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.payments_repo import event_row
from chalicelib.adapters.tgr_client import GatewayOrder

ORIGIN = "http://127.0.0.1"
PLATE, CODE = "PRST67", "12101"  # a demo vehicle no other test of this module touches


class Gateway:
    def create_order(self, *, payment_id, municipality, amount, description, return_url, notify_url):
        return GatewayOrder("TGR-1", "http://127.0.0.1:9/checkout/TGR-1")


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    from chalice.test import Client

    from app import app

    real = wiring.payment_context

    def context():
        ctx = real()
        ctx.gateway = Gateway()
        ctx.clock = lambda: now[0]
        return ctx

    now = [datetime(2027, 3, 20, 10, 0, tzinfo=ZoneInfo("America/Santiago"))]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wiring, "payment_context", context)
        with Client(app, stage_name="test") as client:
            yield {"client": client, "facts": shared_demo_stack, "now": now}


def record_paid_permit(plate: str, year: int, code: str) -> None:
    """The national record as a permit paid through the platform leaves it: both holds `paid`."""
    repo = wiring.payments_repo()
    payment_id = f"{code}-record-{plate}-{year}"
    holds = [("00000", f"PERMIT#{plate}#{year}#1"), ("00000", f"PERMIT#{plate}#{year}#2")]
    meta = {"pk": table_keys.payment(code, payment_id), "sk": "META", "payment_id": payment_id, "municipality": code,
            "status": "pending", "amount": 1, "items": [], "version": 1}
    at = f"{year}-03-01T10:00:00+00:00"
    repo.create(meta, [], holds, event_row(code, payment_id, at, "created", {}), now_iso=at,
                hold_expires_at=f"{year}-03-01T10:30:00Z")
    repo.transition(code, payment_id, from_status="pending", to_status="paid", set_fields={"paid_at": at},
                    event=event_row(code, payment_id, at, "paid", {}), holds=holds, hold_status="paid")


def call(world, method, path, *, body=None, key=None, code=CODE):
    headers = {"Content-Type": "application/json", "Origin": ORIGIN,
               "X-Api-Key": world["facts"]["portal_keys"][code]}
    if key:
        headers["Idempotency-Key"] = key
    kwargs = {"headers": headers, **({"body": json.dumps(body).encode()} if body is not None else {})}
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body)


def pay(world, items, key, code=CODE):
    body = {"items": items, "payer": {"rut": "22.222.222-2", "name": "Pedro Vera", "email": "pedro@ciudadano.demo"},
            "return_url": f"{ORIGIN}/retorno.html"}
    return call(world, "post", f"/v1/municipalities/{code}/payments", body=body, key=key, code=code)


def test_no_record_no_back_years(world):
    status, quote = call(world, "get", f"/v1/municipalities/{CODE}/permits/quote?plate={PLATE}&year=2027")
    assert status == 200, quote
    assert quote["back_years"] is None


def test_a_skipped_year_is_listed_and_blocks_the_new_permit_unless_in_the_same_payment(world):
    record_paid_permit(PLATE, 2025, CODE)
    status, quote = call(world, "get", f"/v1/municipalities/{CODE}/permits/quote?plate={PLATE}&year=2027")
    assert status == 200, quote
    assert [y["year"] for y in quote["back_years"]["years"]] == [2026]
    assert quote["payable"] is False
    assert any("2026" in r and "mismo pago" in r for r in quote["reasons"])
    owed = quote["back_years"]["years"][0]
    # 2026 is late since 31-03-2026: its art. 53 readjustment needs the IPC from February 2026 on; May 2026
    # onwards is not loaded (docs/domain.md, reference data): the quote says what is missing rather than guess
    assert owed["amount"] is None
    assert any("IPC" in r and "2026-05" in r for r in owed["reasons"])
    assert "registro nacional" in quote["back_years"]["source"]

    status, body = pay(world, [{"type": "permit", "plate": PLATE, "year": 2027}], "k-back-1")
    assert status == 422, body
    assert body["error"]["code"] == "back_years_owed"
    assert "2026" in body["error"]["message"]
    assert body["error"]["field"] == "items[0]"

    status, body = pay(world, [{"type": "permit", "plate": PLATE, "year": 2026},
                               {"type": "permit", "plate": PLATE, "year": 2027}], "k-back-2")
    # the back-year rule lets the cart through; 2026 itself cannot be priced without May 2026's IPC
    assert status == 422, body
    assert body["error"]["code"] != "back_years_owed"
    assert "2026-05" in body["error"]["message"]


def test_in_2026_the_skipped_2025_is_priced_with_art53_and_paid_in_the_same_payment(world):
    """Paid 2024, skipped 2025, paying 2026 on 20-03-2026: every figure is published, so 2025 is priced
    (readjusted and with daily interest since 31-03-2025) and the cart of both years is accepted."""
    plate, code = "CDFG23", "13101"
    world["now"][0] = datetime(2026, 3, 20, 10, 0, tzinfo=ZoneInfo("America/Santiago"))
    try:
        record_paid_permit(plate, 2024, code)
        status, quote = call(world, "get", f"/v1/municipalities/{code}/permits/quote?plate={plate}&year=2026",
                             code=code)
        assert status == 200, quote
        (owed,) = quote["back_years"]["years"]
        assert owed["year"] == 2025
        assert owed["reasons"] == []
        late = owed["breakdown"]["late_payment"]
        assert late["applies"] is True
        assert late["due_date"] == "2025-03-31"
        assert late["interest_rule"] == "daily"
        assert [s["month"] for s in late["semesters"]] == ["2025-01", "2025-07", "2026-01"]
        assert owed["amount"] == late["base_amount"] + late["readjustment"] + late["interest"]
        assert owed["amount"] > late["base_amount"]
        assert quote["back_years"]["total"] == owed["amount"]

        status, body = pay(world, [{"type": "permit", "plate": plate, "year": 2026}], "k-back-3", code=code)
        assert (status, body["error"]["code"]) == (422, "back_years_owed"), body
        assert "2025" in body["error"]["message"]
        status, body = pay(world, [{"type": "permit", "plate": plate, "year": 2025},
                                   {"type": "permit", "plate": plate, "year": 2026}], "k-back-4", code=code)
        assert status == 201, body
        assert body["amount"] == owed["amount"] + quote["amounts"]["full"]
    finally:
        world["now"][0] = datetime(2027, 3, 20, 10, 0, tzinfo=ZoneInfo("America/Santiago"))
