"""Next year's permit reminded in February, against moto: a plate whose permit of last year a
citizen paid gets one e-mail in February when this year's is not paid, only with the citizen's
consent for all obligations, once per plate and year, with the municipality as sender."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.adapters.payments_repo import event_row
from chalicelib.adapters.tgr_client import GatewayOrder
from chalicelib.domain.rut import parse_rut
from chalicelib.services import citizens, payments, reminders
from chalicelib.services.citizens import Citizen

MARIA, JUAN = "12345678-5", "12678579-8"
ORIGIN = "http://127.0.0.1:8400"
FEBRUARY = date(2028, 2, 10)


class Gateway:
    def create_order(self, *, payment_id, municipality, amount, description, return_url, notify_url):
        return GatewayOrder(f"TGR-{payment_id[-6:]}", f"http://127.0.0.1:9/checkout/{payment_id}")


def paid_permit(plate, payer, key):
    ctx = wiring.payment_context()
    ctx.gateway = Gateway()
    portal = citizens.citizen_portal(wiring.citizen_context(), "13101", ORIGIN)
    created = payments.create_payment(portal, key, {
        "items": [{"type": "permit", "plate": plate, "year": 2027, "installment": "full"}],
        "payer": {"rut": payer, "name": "Persona Demo", "email": "persona@ciudadano.demo"},
        "return_url": f"{ORIGIN}/mis-pagos/"}, ctx)
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    wiring.payments_repo().transition("13101", created["payment_id"], from_status="pending", to_status="paid",
                                      set_fields={"paid_at": at}, remove_fields=["gsi3pk", "gsi3sk"],
                                      event=event_row("13101", created["payment_id"], at, "paid", {}))


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    paid_permit("BBBB10", MARIA, "renewal-maria-2027")
    paid_permit("CDFG23", JUAN, "renewal-juan-2027")
    reminders.give_consent(wiring.citizen_context(), Citizen(run=parse_rut(MARIA), name="María"),
                           email="maria.perez@ciudadano.demo", obligations=["all"], at="2027-01-05")
    return {}


def context(today, **changes):
    ctx = wiring.reminder_context()
    ctx.clock = lambda: datetime(today.year, today.month, today.day, 9, 0, tzinfo=ZoneInfo("America/Santiago"))
    for name, value in changes.items():
        setattr(ctx, name, value)
    return ctx


def restart_scan():
    repo = wiring.citizen_repo()
    repo.advance_renewal_cursor("13101", 2028, old=repo.renewal_cursor("13101", 2028), new="2026-12-01")


def sent_messages():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_nothing_outside_february(world):
    counts = reminders.run_permit_renewals(context(date(2028, 3, 10)), date(2028, 3, 10))
    assert set(counts.values()) == {0}
    assert wiring.citizen_repo().renewal_cursor("13101", 2028) is None


def test_in_february_the_consenting_payer_of_last_years_permit_is_reminded_once(world):
    before = len(sent_messages())
    counts = reminders.run_permit_renewals(context(FEBRUARY), FEBRUARY)
    assert counts["sent"] == 1
    assert counts["no_consent"] == 1  # Juan paid CDFG23's 2027 permit but never asked for reminders
    new = sent_messages()[before:]
    assert len(new) == 1
    raw = new[0].raw_data if hasattr(new[0], "raw_data") else str(new[0].body)
    assert "maria.perez@ciudadano.demo" in str(new[0].destinations)
    assert "BBBB10" in raw
    assert "no-responder@" in str(getattr(new[0], "source", raw))
    log = reminders.delivery_log(wiring.citizen_repo(), "13101", "2028-02")["deliveries"]
    entry = next(d for d in log if d["kind"] == "renewal")
    assert entry["debt_id"] == "PERMIT-BBBB10"
    assert entry["due_date"] == "2028-03-31"  # the light vehicles' deadline of the permit rules
    assert entry["status"] == "sent"
    assert entry["recipient"] == "m***@ciudadano.demo"
    assert wiring.citizen_repo().renewal_cursor("13101", 2028) == "2027-01-30"  # 60 days per pass

    # read again (a crash before the cursor moved, say): the claim keeps it to one e-mail
    restart_scan()
    again = reminders.run_permit_renewals(context(FEBRUARY), FEBRUARY)
    assert again["sent"] == 0
    assert again["already_sent"] == 1
    assert len(sent_messages()) == before + 1


def test_a_plate_whose_permit_of_the_year_is_paid_is_not_reminded(world):
    restart_scan()
    counts = reminders.run_permit_renewals(context(FEBRUARY, permit_paid=lambda plate, year: year == 2028), FEBRUARY)
    assert counts["already_paid"] == 2
    assert counts["sent"] == 0
    assert reminders.permit_taken(wiring.payments_repo())("BBBB10", 2027) is True  # its 2027 holds are taken
    assert reminders.permit_taken(wiring.payments_repo())("BBBB10", 2028) is False
