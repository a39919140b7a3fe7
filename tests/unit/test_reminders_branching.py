"""The reminders worker's every branch, on in-memory fakes (tests/support/fakes.py; their contract
with the moto-backed adapters is tests/functional/test_fake_contracts.py): no consent, consent for
other obligations, a complaint's suppression, a reminder already claimed, a disabled municipality,
a paid debt, a municipality without a (verified) sender, SES refusing — and the one that is sent.
The path through the real adapters is tests/functional/test_citizen_reminders.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import DependencyUnavailable, InvalidInput
from chalicelib.services import reminders
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.reminders import ReminderContext
from tests.support.clocks import SANTIAGO, Clock
from tests.support.fakes import FakeCitizenRepository, FakeDebtRepository, FakeMailer, FakeMunicipalityRepository

SECRET = "index-secret-for-tests"
TODAY = date(2027, 4, 25)
SENDER = "no-responder@munistgo.demo"
ANA, BETO = "12345678-5", "11111111-1"


def debt(debt_id: str, due: str, *, rut: str = ANA, status: str = "open") -> dict[str, Any]:
    return {"debt_id": debt_id, "type": "patente", "rut": rut, "description": f"Patente {debt_id}",
            "period": "2027-S1", "due_date": due, "amount": 45_600, "status": status}


@pytest.fixture
def ctx() -> ReminderContext:
    municipalities = FakeMunicipalityRepository()
    municipalities.add_municipality({"code": "13101", "name": "Santiago", "sender_email": SENDER,
                                     "sender_identities": ["munistgo.demo"]}, {"name": "Santiago", "enabled": True})
    return ReminderContext(citizens=FakeCitizenRepository(), debts=FakeDebtRepository(),
                           municipalities=municipalities, mailer=FakeMailer(verified=[SENDER]),
                           index_secret=SECRET, public_api_url="http://127.0.0.1:8000",
                           clock=Clock(datetime(2027, 4, 25, 9, 0, tzinfo=SANTIAGO)))


def consent(ctx: ReminderContext, rut: str, obligations: list[str], email: str = "ana@ciudadano.demo") -> None:
    ctx.citizens.save_consent(run_digest(SECRET, rut), email=email, obligations=obligations,
                              at="2027-04-01T10:00:00-03:00")


def run(ctx: ReminderContext) -> dict[str, int]:
    return reminders.run_reminders(ctx, TODAY)


def test_a_consented_debt_due_within_the_week_is_reminded_once(ctx):
    ctx.debts.add_debt("13101", debt("PAT-1", "2027-04-30"))
    consent(ctx, ANA, ["all"])
    assert run(ctx) == {"considered": 1, "no_consent": 0, "already_sent": 0, "sent": 1, "failed": 0, "suppressed": 0}
    [mail] = ctx.mailer.sent
    assert (mail.sender, mail.recipient) == (SENDER, "ana@ciudadano.demo")
    assert "vence pronto" in mail.subject
    assert "30-04-2027" in mail.text
    assert "$45.600" in mail.text
    assert "/v1/citizen/reminders/unsubscribe?" in mail.text
    [entry] = ctx.citizens.reminder_log("13101", "2027-04")
    assert (entry["status"], entry["kind"], entry["recipient"]) == ("sent", "before", "a***@ciudadano.demo")
    assert run(ctx)["already_sent"] == 1  # the next pass finds it claimed
    assert len(ctx.mailer.sent) == 1


def test_a_missed_due_date_is_reminded_as_after(ctx):
    ctx.debts.add_debt("13101", debt("PAT-2", "2027-04-20"))
    consent(ctx, ANA, ["all"])
    assert run(ctx)["sent"] == 1
    assert "venció y sigue impaga" in ctx.mailer.sent[0].subject


def test_no_consent_consent_for_other_debts_or_a_withdrawn_one_send_nothing(ctx):
    ctx.debts.add_debt("13101", debt("PAT-3", "2027-04-28", rut=BETO))  # Beto never consented
    ctx.debts.add_debt("13101", debt("PAT-4", "2027-04-28"))
    ctx.debts.add_debt("13101", debt("PAT-5", "2027-04-28"))
    consent(ctx, ANA, ["PAT-5"])  # only for PAT-5
    counts = run(ctx)
    assert (counts["no_consent"], counts["sent"]) == (2, 1)
    assert [m.subject.split(": ")[1] for m in ctx.mailer.sent] == ["Patente PAT-5 vence pronto"]
    ctx.debts.add_debt("13101", debt("PAT-6", "2027-04-29"))
    ctx.citizens.withdraw_consent(run_digest(SECRET, ANA))
    assert run(ctx)["no_consent"] == 4


def test_paid_debts_far_due_dates_and_disabled_municipalities_are_not_considered(ctx):
    consent(ctx, ANA, ["all"])
    ctx.debts.add_debt("13101", debt("PAT-7", "2027-04-27", status="paid"))
    ctx.debts.add_debt("13101", debt("PAT-8", "2027-05-20"))  # more than a week ahead
    ctx.debts.add_debt("13101", debt("PAT-9", "2027-04-10"))  # missed more than a week ago
    ctx.municipalities.add_municipality({"code": "05101", "name": "Valparaíso", "sender_email": SENDER},
                                        {"name": "Valparaíso", "enabled": False})
    ctx.debts.add_debt("05101", debt("ASE-1", "2027-04-27"))
    assert run(ctx)["considered"] == 0
    assert ctx.mailer.sent == []


def test_a_complaint_suppresses_the_reminder_before_it_is_claimed(ctx):
    ctx.debts.add_debt("13101", debt("PAT-10", "2027-04-30"))
    consent(ctx, ANA, ["all"])
    ctx.suppressed = lambda code, address: (code, address) == ("13101", "ana@ciudadano.demo")
    assert run(ctx)["suppressed"] == 1
    assert ctx.mailer.sent == []
    assert ctx.citizens.reminder_log("13101", "2027-04") == []  # not claimed: it may go once they allow it


@pytest.mark.parametrize(("config", "reason"), [
    ({"sender_email": ""}, "sender_not_configured"),
    ({"sender_email": "alcaldia@otro.demo"}, "sender_not_verified"),
])
def test_a_municipality_without_its_own_verified_sender_records_a_failure(ctx, config, reason):
    ctx.municipalities.configs["13101"].update(config)
    ctx.debts.add_debt("13101", debt("PAT-11", "2027-04-30"))
    consent(ctx, ANA, ["all"])
    assert run(ctx)["failed"] == 1
    assert ctx.mailer.sent == []
    [entry] = ctx.citizens.reminder_log("13101", "2027-04")
    assert (entry["status"], entry["reason"]) == ("failed", reason)
    assert run(ctx)["already_sent"] == 1  # a failure is settled: not retried by every pass


def test_ses_refusing_is_a_failure_recorded_with_its_reason(ctx):
    ctx.debts.add_debt("13101", debt("PAT-12", "2027-04-30"))
    consent(ctx, ANA, ["all"])
    ctx.mailer.fail_with = DependencyUnavailable("down", code="email_unavailable")
    assert run(ctx)["failed"] == 1
    [entry] = ctx.citizens.reminder_log("13101", "2027-04")
    assert (entry["status"], entry["reason"]) == ("failed", "email_unavailable")


def test_an_unsubscribe_link_withdraws_only_the_consent_it_names(ctx):
    digest = run_digest(SECRET, ANA)
    consent(ctx, ANA, ["all"])
    first_link = reminders.unsubscribe_url("http://x", SECRET, digest, 1)
    consent(ctx, ANA, ["all"], email="ana@otro.demo")  # consent changed: version 2
    signature = first_link.rsplit("s=", 1)[1]
    assert reminders.unsubscribe(ctx.citizens, SECRET, digest=digest, version=1, signature=signature) is False
    assert ctx.citizens.consent(digest)["email"] == "ana@otro.demo"
    second = reminders.unsubscribe_url("http://x", SECRET, digest, 2).rsplit("s=", 1)[1]
    assert reminders.unsubscribe(ctx.citizens, SECRET, digest=digest, version=2, signature=second) is True
    with pytest.raises(InvalidInput) as forged:
        reminders.unsubscribe(ctx.citizens, SECRET, digest=digest, version=3, signature=second)
    assert forged.value.code == "invalid_unsubscribe_link"
