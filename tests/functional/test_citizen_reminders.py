"""Citizens' reminders against moto: consent per obligation or for all, the worker sends once per
debt, kind and due date (before it, and after a missed one), only with consent, with the
municipality as sender; the signed unsubscribe link works and a tampered one is refused."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.domain.rut import parse_rut
from chalicelib.services import reminders
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.citizens import Citizen, issue_session

TODAY = date(2027, 4, 25)
MARIA, JUAN = "12345678-5", "12678579-8"


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    from chalice.test import Client

    from app import app

    table = wiring.data_table()
    debts = [  # 13101 (Santiago): two of María's due within the week, one of Juan's; one missed yesterday
        {"debt_id": "REM-MARIA-A", "rut": MARIA, "due_date": "2027-04-30", "amount": 21_480},
        {"debt_id": "REM-MARIA-B", "rut": MARIA, "due_date": "2027-05-01", "amount": 10_000},
        {"debt_id": "REM-MARIA-LATE", "rut": MARIA, "due_date": "2027-04-24", "amount": 5_000},
        {"debt_id": "REM-MARIA-FAR", "rut": MARIA, "due_date": "2027-06-30", "amount": 7_000},
        {"debt_id": "REM-JUAN-A", "rut": JUAN, "due_date": "2027-04-30", "amount": 34_900},
    ]
    for debt in debts:
        table.put(DebtRepository.row("13101", {**debt, "type": "aseo", "status": "open", "period": "2027-Q2",
                                               "description": f"Derechos de aseo {debt['debt_id']}"}))
    with Client(app, stage_name="test") as client:
        yield {"client": client}


def session_of(run):
    ctx = wiring.citizen_context()
    return issue_session(ctx, Citizen(run=parse_rut(run), name="Persona Demo"))["session_token"]


def call(world, method, path, *, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, response.body


def worker_pass(today=TODAY):
    ctx = wiring.reminder_context()
    ctx.clock = lambda: datetime(today.year, today.month, today.day, 9, 0, tzinfo=ZoneInfo("America/Santiago"))
    return reminders.run_reminders(ctx, today)


def sent_messages():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_no_reminder_without_consent(world):
    before = len(sent_messages())
    counts = worker_pass()
    assert counts["sent"] == 0
    assert counts["no_consent"] >= 4
    assert len(sent_messages()) == before


def test_consent_for_one_obligation_sends_that_one_once(world):
    maria = session_of(MARIA)
    status, body = call(world, "put", "/v1/citizen/reminders", token=maria,
                        body={"email": "Maria.Perez@ciudadano.demo", "obligations": ["REM-MARIA-A"]})
    assert status == 200, body
    assert json.loads(body) == {"enabled": True, "email": "maria.perez@ciudadano.demo",
                                "obligations": ["REM-MARIA-A"]}
    before = len(sent_messages())
    counts = worker_pass()
    assert counts["sent"] == 1
    messages = sent_messages()[before:]
    assert len(messages) == 1
    raw = messages[0].raw_data if hasattr(messages[0], "raw_data") else str(messages[0])
    assert "no-responder@" in raw
    assert "REM-MARIA-A" in raw
    # Never twice for one due date.
    again = worker_pass()
    assert again["sent"] == 0
    assert again["already_sent"] == 1
    assert len(sent_messages()) == before + 1


def test_consent_for_all_reminds_before_and_after_and_leaves_others_alone(world):
    maria = session_of(MARIA)
    status, _ = call(world, "put", "/v1/citizen/reminders", token=maria,
                     body={"email": "maria.perez@ciudadano.demo", "obligations": ["all"]})
    assert status == 200
    counts = worker_pass()
    # B and the demo aseo installment (before), LATE (after); A was sent already; FAR is not due yet.
    assert counts["sent"] == 3
    log = reminders.delivery_log(wiring.citizen_repo(), "13101", "2027-04")["deliveries"]
    kinds = {(d["debt_id"], d["kind"]) for d in log}
    assert kinds == {("REM-MARIA-A", "before"), ("REM-MARIA-B", "before"), ("REM-MARIA-LATE", "after"),
                     ("ASE-2027-1-004567", "before")}
    assert not any(d["debt_id"] in ("REM-JUAN-A", "REM-MARIA-FAR") for d in log)
    assert all(d["status"] == "sent" for d in log)
    assert all(d["recipient"] == "m***@ciudadano.demo" for d in log)
    assert "12345678" not in json.dumps(log)


def test_an_obligation_of_another_run_cannot_be_chosen(world):
    maria = session_of(MARIA)
    status, body = call(world, "put", "/v1/citizen/reminders", token=maria,
                        body={"email": "maria.perez@ciudadano.demo", "obligations": ["REM-JUAN-A"]})
    assert status == 400
    assert json.loads(body)["error"]["code"] == "unknown_obligation"
    status, _ = call(world, "put", "/v1/citizen/reminders", body={"email": "a@b.cl", "obligations": ["all"]})
    assert status == 401


def unsubscribe_link():
    ctx = wiring.citizen_context()
    digest = run_digest(ctx.index_secret, MARIA)
    version = int(ctx.repo.consent(digest)["version"])
    return reminders.unsubscribe_url("http://127.0.0.1:8000", ctx.index_secret, digest, version)


def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(world):
    link = unsubscribe_link()
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    forged_digest = run_digest("another-secret", JUAN)
    for tampered in ({**query, "s": query["s"][:-2] + ("AA" if not query["s"].endswith("AA") else "BB")},
                     {**query, "r": forged_digest}, {**query, "v": str(int(query["v"]) + 1)}):
        path = "/v1/citizen/reminders/unsubscribe?" + "&".join(f"{k}={v}" for k, v in tampered.items())
        status, body = call(world, "get", path)
        assert status == 400
        assert json.loads(body)["error"]["code"] == "invalid_unsubscribe_link"
    status, body = call(world, "get", "/v1/citizen/reminders/unsubscribe?r=zz&v=1&s=x")
    assert status == 400
    assert json.loads(call(world, "get", "/v1/citizen/reminders", token=session_of(MARIA))[1])["enabled"] is True


def test_the_one_click_unsubscribe_link_withdraws_consent(world):
    link = unsubscribe_link()
    status, body = call(world, "get", link.removeprefix("http://127.0.0.1:8000"))
    assert status == 200
    assert "no recibirá más recordatorios" in body.decode()
    assert json.loads(call(world, "get", "/v1/citizen/reminders", token=session_of(MARIA))[1])["enabled"] is False
    # Clicked again: still fine, nothing changes.
    assert call(world, "get", link.removeprefix("http://127.0.0.1:8000"))[0] == 200
    counts = worker_pass(TODAY + timedelta(days=1))
    assert counts["sent"] == 0


def test_an_address_that_complained_gets_no_reminder(world):
    """A complaint about SEM's mail suppresses the address in its municipality: reminders included."""
    from chalicelib.adapters import table_keys
    from chalicelib.adapters.email_events_repo import address_hash

    juan = session_of(JUAN)
    status, _ = call(world, "put", "/v1/citizen/reminders", token=juan,
                     body={"email": "juan.soto@ciudadano.demo", "obligations": ["REM-JUAN-A"]})
    assert status == 200
    wiring.data_table().put({"pk": table_keys.email_suppression("13101"),
                             "sk": address_hash("juan.soto@ciudadano.demo"),
                             "reason": "complaint", "at": "2027-04-20T10:00:00-04:00"})
    before = len(sent_messages())
    counts = worker_pass()
    assert counts["suppressed"] == 1
    assert counts["sent"] == 0
    assert len(sent_messages()) == before
    log = reminders.delivery_log(wiring.citizen_repo(), "13101", "2027-04")["deliveries"]
    assert not any(d["debt_id"] == "REM-JUAN-A" for d in log)
