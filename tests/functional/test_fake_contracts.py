"""One contract per faked adapter, run against the in-memory fake (tests/support/fakes.py) and the
real adapter on moto: what the services' unit tests rely on a fake for is what the adapter does,
so a fake cannot drift from it. (The pattern of Chalice's todo sample: one suite, a fixture
parametrized over the implementations.)"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.citizens_repo import CitizenRepository
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.job_queue import JobQueue
from chalicelib.adapters.mailer import Mailer
from chalicelib.adapters.municipality_admin_repo import MunicipalityAdminRepository
from chalicelib.adapters.officials_admin_repo import OfficialsAdminRepository
from chalicelib.adapters.rights_repo import RightsRepository, event_row
from chalicelib.domain.email_message import OutgoingEmail
from chalicelib.domain.errors import DependencyUnavailable
from tests.support.fakes import (
    FakeAuditLog,
    FakeCitizenRepository,
    FakeDebtRepository,
    FakeJobQueue,
    FakeMailer,
    FakeMunicipalityRepository,
    FakeOfficialProposals,
    FakeRightsRepository,
)

IMPLEMENTATIONS = ["fake", "moto"]


@pytest.fixture(params=IMPLEMENTATIONS)
def kind(request: pytest.FixtureRequest) -> str:
    """Which implementation this run of a contract test is against; moto's get SEM's empty resources."""
    if request.param == "moto":
        request.getfixturevalue("stack")
    return str(request.param)


# -- citizens: consent and one claim per reminder --------------------------------------------------

@pytest.fixture
def citizens(kind: str) -> Any:
    return FakeCitizenRepository() if kind == "fake" else CitizenRepository(wiring.data_table())


D1 = "d1" * 32  # a keyed RUN hash: 64 hex digits


def test_consent_is_given_changed_and_withdrawn_by_version(citizens):
    assert citizens.consent(D1) is None
    assert citizens.withdraw_consent(D1) is False  # nothing to withdraw
    first = citizens.save_consent(D1, email="ana@x.demo", obligations=["all"], at="2027-04-01T10:00:00-03:00")
    assert (first["email"], first["obligations"], first["version"]) == ("ana@x.demo", ["all"], 1)
    second = citizens.save_consent(D1, email="ana@y.demo", obligations=["PAT-1"], at="2027-04-02T10:00:00-03:00")
    assert (second["email"], second["obligations"], second["version"]) == ("ana@y.demo", ["PAT-1"], 2)
    assert citizens.withdraw_consent(D1, version=1) is False  # an old link does not withdraw a newer consent
    assert citizens.consent(D1)["email"] == "ana@y.demo"
    assert citizens.withdraw_consent(D1, version=2) is True
    withdrawn = citizens.consent(D1)
    assert withdrawn is not None
    assert "email" not in withdrawn
    assert "obligations" not in withdrawn
    assert withdrawn["withdrawn"] is True
    assert citizens.withdraw_consent(D1) is False  # already withdrawn
    again = citizens.save_consent(D1, email="ana@z.demo", obligations=["all"], at="2027-04-03T10:00:00-03:00")
    assert (again["version"], "withdrawn" in again) == (3, False)


def _claim(citizens: Any, debt_id: str, kind: str = "before", *, log_key: str) -> bool:
    return bool(citizens.claim_reminder("13101", debt_id, kind=kind, due_date="2027-04-30",
                                        at="2027-04-25T09:00:00-04:00", log_month="2027-04", log_key=log_key,
                                        detail={"description": "Patente", "amount": 1000, "recipient": "a***@x.demo"}))


def test_a_reminder_is_claimed_once_and_settled_once(citizens):
    from chalicelib.domain.errors import ConditionFailed

    assert _claim(citizens, "PAT-1", log_key="2027-04-25T13:00:00Z#PAT-1#before") is True
    assert _claim(citizens, "PAT-1", log_key="2027-04-25T13:00:01Z#PAT-1#before") is False  # never twice
    assert _claim(citizens, "PAT-1", "after", log_key="2027-04-25T13:00:02Z#PAT-1#after") is True  # another kind
    assert _claim(citizens, "PAT-2", log_key="2027-04-25T13:00:03Z#PAT-2#before") is True
    citizens.settle_reminder("13101", "PAT-1", kind="before", due_date="2027-04-30", status="sent", message_id="m-1")
    with pytest.raises(ConditionFailed):  # settled already
        citizens.settle_reminder("13101", "PAT-1", kind="before", due_date="2027-04-30", status="failed",
                                 reason="x")
    with pytest.raises(ConditionFailed):  # never claimed
        citizens.settle_reminder("13101", "PAT-9", kind="before", due_date="2027-04-30", status="sent")
    citizens.settle_reminder("13101", "PAT-2", kind="before", due_date="2027-04-30", status="failed",
                             reason="email_rejected")
    log = citizens.reminder_log("13101", "2027-04")
    assert [(r["debt_id"], r["kind"], r["status"]) for r in log] == [
        ("PAT-2", "before", "failed"), ("PAT-1", "after", "sending"), ("PAT-1", "before", "sent")]  # newest first
    assert (log[2]["message_id"], log[0]["reason"], log[0]["recipient"]) == ("m-1", "email_rejected", "a***@x.demo")
    assert citizens.reminder_log("13101", "2027-05") == []
    assert citizens.reminder_log("12101", "2027-04") == []


# -- debts due in a month ----------------------------------------------------------------------------

@dataclass
class Debts:
    repo: Any

    def add(self, code: str, debt: dict[str, Any]) -> None:
        if isinstance(self.repo, FakeDebtRepository):
            self.repo.add_debt(code, debt)
        else:
            wiring.data_table().put(DebtRepository.row(code, debt))


@pytest.fixture
def debts(kind: str) -> Debts:
    return Debts(FakeDebtRepository() if kind == "fake" else DebtRepository(wiring.data_table()))


def _debt(debt_id: str, due: str, status: str = "open") -> dict[str, Any]:
    return {"debt_id": debt_id, "type": "patente", "rut": "12345678-5", "description": f"Patente {debt_id}",
            "period": "2027-S1", "due_date": due, "amount": 1000, "status": status}


def test_debts_due_in_a_month_by_due_date_only_of_that_municipality(debts):
    debts.add("13101", _debt("PAT-B", "2027-04-30"))
    debts.add("13101", _debt("PAT-A", "2027-04-30", status="paid"))
    debts.add("13101", _debt("PAT-C", "2027-04-02"))
    debts.add("13101", _debt("PAT-D", "2027-05-01"))
    debts.add("13101", {**_debt("PAT-E", ""), "due_date": ""})  # no due date: never listed
    debts.add("12101", _debt("PAT-F", "2027-04-15"))
    due = debts.repo.due_in("13101", "2027-04")
    assert [(d["debt_id"], d["status"]) for d in due] == [("PAT-C", "open"), ("PAT-A", "paid"), ("PAT-B", "open")]
    assert due[0]["amount"] == 1000
    assert debts.repo.due_in("13101", "2027-06") == []


# -- municipalities ------------------------------------------------------------------------------------

@dataclass
class Municipalities:
    repo: Any

    def add(self, config: dict[str, Any], entry: dict[str, Any]) -> None:
        if isinstance(self.repo, FakeMunicipalityRepository):
            self.repo.add_municipality(config, entry)
        else:
            MunicipalityAdminRepository(wiring.data_table()).create(config, entry, audit_row(
                str(config["code"]), actor="a@subdere.demo", profile="administrador_subdere",
                action="municipality.created", target=f"municipalities/{config['code']}"))


@pytest.fixture
def municipalities(kind: str) -> Municipalities:
    return Municipalities(FakeMunicipalityRepository() if kind == "fake" else wiring.municipalities())


def test_municipalities_are_read_by_code_and_listed_by_code(municipalities):
    municipalities.add({"code": "13101", "name": "Santiago", "sender_email": "no-responder@munistgo.demo"},
                       {"code": "13101", "name": "Santiago", "enabled": True})
    municipalities.add({"code": "05101", "name": "Valparaíso"},
                       {"code": "05101", "name": "Valparaíso", "enabled": False})
    assert municipalities.repo.get("99999") is None
    config = municipalities.repo.get("13101")
    assert (config["code"], config["sender_email"]) == ("13101", "no-responder@munistgo.demo")
    assert [(m["code"], m["name"], m["enabled"]) for m in municipalities.repo.list_all()] == [
        ("05101", "Valparaíso", False), ("13101", "Santiago", True)]


# -- rights requests -------------------------------------------------------------------------------------

@pytest.fixture
def rights(kind: str) -> Any:
    return FakeRightsRepository() if kind == "fake" else RightsRepository(wiring.data_table())


def _request(request_id: str, code: str = "13101") -> dict[str, Any]:
    return {"request_id": request_id, "municipality": code, "kind": "access", "status": "open", "rut": "12345678-5",
            "name": "Ana", "contact": "ana@x.demo", "identity_method": "cedula_presencial", "due_on": "2027-04-30",
            "filed_at": "2027-03-31T10:00:00-03:00", "filed_by": "o@muni.demo", "details": ""}


def _audit(code: str, action: str, at: str) -> dict[str, Any]:
    from datetime import datetime

    return audit_row(code, actor="o@muni.demo", profile="encargado_datos", action=action, target="privacy/requests",
                     now=datetime.fromisoformat(at))


def test_a_request_is_created_once_and_stepped_only_from_its_states(rights):
    from chalicelib.domain.errors import ConditionFailed

    rid = "20270331T130000Z-0000aaaa"
    rights.create(_request(rid), event_row("13101", rid, "2027-03-31T13:00:00Z", "filed", "o@muni.demo", {}),
                  _audit("13101", "privacy.request.filed", "2027-03-31T10:00:00-03:00"))
    with pytest.raises(ConditionFailed):
        rights.create(_request(rid), event_row("13101", rid, "2027-03-31T13:00:01Z", "filed", "o@muni.demo", {}),
                      _audit("13101", "privacy.request.filed", "2027-03-31T10:00:01-03:00"))
    assert rights.get("13101", rid)["status"] == "open"
    assert rights.get("12101", rid) is None  # another municipality's partition

    def step(at: str, kind: str, fields: dict[str, Any], once: str | None = None) -> bool:
        return bool(rights.step("13101", rid, from_status=("open",), set_fields=fields,
                                event=event_row("13101", rid, at, kind, "o@muni.demo", {"n": 1}),
                                audit=_audit("13101", f"privacy.request.{kind}", at.replace("Z", "+00:00")),
                                once=once))

    assert step("2027-04-01T13:00:00Z", "extended", {"due_on": "2027-05-30", "extended_on": "2027-04-01"},
                "extended_on") is True
    assert step("2027-04-01T13:00:01Z", "extended", {"due_on": "2027-06-29", "extended_on": "2027-04-01"},
                "extended_on") is False  # once only: nothing written
    assert rights.get("13101", rid)["due_on"] == "2027-05-30"
    assert step("2027-04-02T13:00:00Z", "closed", {"status": "closed", "outcome": "done"}) is True
    assert step("2027-04-02T13:00:01Z", "closed", {"status": "closed", "outcome": "refused"}) is False  # closed
    assert rights.get("13101", rid)["outcome"] == "done"
    assert [e["type"] for e in rights.events("13101", rid)] == ["filed", "extended", "closed"]
    assert rights.step("13101", "nope", from_status=("open",), set_fields={"x": 1},
                       event=event_row("13101", "nope", "2027-04-03T13:00:00Z", "closed", "o", {}),
                       audit=_audit("13101", "privacy.request.closed", "2027-04-03T10:00:00-03:00")) is False


def test_requests_are_paged_newest_first_their_events_skipped(rights):
    for n in range(3):
        rid = f"2027032{n}T130000Z-0000000{n}"
        rights.create(_request(rid), event_row("13101", rid, f"2027-03-2{n}T13:00:00Z", "filed", "o", {}),
                      _audit("13101", "privacy.request.filed", f"2027-03-2{n}T10:00:00-03:00"))
    first = rights.page("13101", None, limit=2)
    assert 1 <= len(first.items) <= 2  # at most `limit` rows read (events among them are skipped)
    assert first.items[0]["request_id"] == "20270322T130000Z-00000002"
    assert first.cursor is not None
    seen = [r["request_id"] for r in first.items]
    cursor = first.cursor
    while cursor:  # DynamoDB may need another (empty) page to know it is the end
        page = rights.page("13101", cursor, limit=2)
        seen += [r["request_id"] for r in page.items]
        cursor = page.cursor
    assert seen == ["20270322T130000Z-00000002", "20270321T130000Z-00000001", "20270320T130000Z-00000000"]
    assert rights.page("12101", None).items == []


# -- officials' four-eyes proposals ----------------------------------------------------------------------

@pytest.fixture
def proposals(kind: str) -> Any:
    return FakeOfficialProposals() if kind == "fake" else OfficialsAdminRepository(wiring.data_table())


def _proposal(proposal_id: str, email: str) -> dict[str, Any]:
    return {"proposal_id": proposal_id, "municipality": "13101", "kind": "create", "email": email, "name": "N",
            "run": "12345678-5", "profile": "tesorero", "status": "pending", "proposed_by": "a@munistgo.demo",
            "proposed_at": "2027-03-20T10:00:00-03:00"}


def test_proposals_are_listed_oldest_first_and_decided_once(proposals):
    from chalicelib.domain.errors import ConditionFailed

    for n, email in enumerate(["t1@munistgo.demo", "t2@munistgo.demo", "t3@munistgo.demo"]):
        proposals.propose("13101", _proposal(f"20270320T13000{n}Z-0000000{n}", email),
                          _audit("13101", "official.propose", f"2027-03-20T10:00:0{n}-03:00"))
    with pytest.raises(ConditionFailed):
        proposals.propose("13101", _proposal("20270320T130000Z-00000000", "t9@munistgo.demo"),
                          _audit("13101", "official.propose", "2027-03-20T10:00:09-03:00"))
    assert proposals.proposal("13101", "20270320T130001Z-00000001")["email"] == "t2@munistgo.demo"
    assert proposals.proposal("12101", "20270320T130001Z-00000001") is None
    proposals.close("13101", "20270320T130001Z-00000001", {"status": "rejected", "decided_by": "b@munistgo.demo"},
                    _audit("13101", "official.reject", "2027-03-20T11:00:00-03:00"))
    with pytest.raises(ConditionFailed):  # decided already
        proposals.close("13101", "20270320T130001Z-00000001", {"status": "rejected"},
                        _audit("13101", "official.reject", "2027-03-20T11:00:01-03:00"))
    with pytest.raises(ConditionFailed):  # no such proposal
        proposals.close("13101", "20270320T130009Z-00000009", {"status": "rejected"},
                        _audit("13101", "official.reject", "2027-03-20T11:00:02-03:00"))
    assert proposals.proposal("13101", "20270320T130001Z-00000001")["decided_by"] == "b@munistgo.demo"
    assert [p["email"] for p in proposals.pending_proposals("13101")] == ["t1@munistgo.demo", "t3@munistgo.demo"]
    first = proposals.proposals("13101", limit=2, cursor=None)
    assert [p["email"] for p in first.items] == ["t1@munistgo.demo", "t2@munistgo.demo"]
    rest = proposals.proposals("13101", limit=2, cursor=first.cursor)
    assert [p["email"] for p in rest.items] == ["t3@munistgo.demo"]


# -- the audit log ----------------------------------------------------------------------------------------

@pytest.fixture
def audit(kind: str) -> Any:
    return FakeAuditLog() if kind == "fake" else wiring.audit_log()


def test_an_audit_entry_says_who_did_what_to_what(audit):
    from datetime import datetime

    entry = audit.record("13101", actor="o@muni.demo", profile="tesorero", action="privacy.request.refused",
                         target="privacy/requests", after={"reason": "identity_not_verified"},
                         now=datetime.fromisoformat("2027-04-01T10:00:00-03:00"))
    assert {k: entry[k] for k in ("actor", "profile", "action", "target", "after")} == {
        "actor": "o@muni.demo", "profile": "tesorero", "action": "privacy.request.refused",
        "target": "privacy/requests", "after": {"reason": "identity_not_verified"}}


# -- the job queue ------------------------------------------------------------------------------------------

@dataclass
class Queue:
    queue: Any

    def break_it(self) -> None:
        if isinstance(self.queue, FakeJobQueue):
            self.queue.fail = True
        else:  # nothing answers there (a closed loopback port): unreachable, as the fake's `fail`
            from botocore.config import Config

            silent = boto3.client("sqs", endpoint_url="http://127.0.0.1:9",
                                  config=Config(retries={"max_attempts": 1}, connect_timeout=1))
            self.queue = JobQueue(silent, self.queue.queue_url)


@pytest.fixture
def queue(kind: str) -> Queue:
    return Queue(FakeJobQueue() if kind == "fake" else
                 JobQueue(boto3.client("sqs"), os.environ["SEM_RECEIPTS_QUEUE_URL"]))


def test_jobs_are_queued_counted_and_an_unreachable_queue_is_a_dependency_error(queue):
    assert queue.queue.depth() == 0
    first = queue.queue.send({"payment_id": "13101-P1", "kind": "receipt"})
    second = queue.queue.send({"payment_id": "13101-P2", "kind": "receipt"})
    assert isinstance(first, str)
    assert first != second
    assert queue.queue.depth() == 2
    queue.break_it()
    with pytest.raises(DependencyUnavailable) as caught:
        queue.queue.send({"payment_id": "13101-P3"})
    assert caught.value.code == "queue_unavailable"
    assert caught.value.retryable


# -- the mailer ---------------------------------------------------------------------------------------------

SENDER = "no-responder@munistgo.demo"


@pytest.fixture
def mailer(kind: str) -> Any:
    if kind == "fake":
        return FakeMailer(verified=[SENDER])
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_email_identity(EmailAddress=SENDER)
    return Mailer(ses)


def _email(**changes: Any) -> OutgoingEmail:
    values: dict[str, Any] = {"sender": SENDER, "recipient": "ana@ciudadano.demo", "subject": "Recordatorio",
                              "text": "Hola", "html": "<p>Hola</p>", "tags": {"municipality": "13101"}}
    values.update(changes)
    return OutgoingEmail(**values)


def test_a_verified_sender_is_accepted_an_unverified_one_refused_for_good(mailer):
    first, second = mailer.send(_email()), mailer.send(_email(subject="Otro"))
    assert isinstance(first, str)
    assert first != second
    with pytest.raises(DependencyUnavailable) as caught:
        mailer.send(_email(sender="otro@desconocido.demo"))
    assert (caught.value.code, caught.value.retryable) == ("email_rejected", False)
    with pytest.raises(ValueError, match="tags"):
        mailer.send(_email(tags={"municipality": "13 101"}))
