"""The receipts worker end to end against moto: a paid payment gets one folio, one signed PDF in
S3, one e-mail with that PDF, and is verifiable — however often its job is delivered and wherever
a delivery breaks off. Payments are made and approved through the app, as in test_payments.py."""

from __future__ import annotations

import contextlib
import email
import email.header
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import Message
from typing import Any, cast

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.receipt_signer import DEFAULT_SIGNER_NAME
from chalicelib.adapters.receipts_repo import FolioRequest
from chalicelib.domain import receipt_codes
from chalicelib.domain.errors import DependencyUnavailable, InvalidInput
from chalicelib.domain.payments import utc_key
from chalicelib.domain.signature_kinds import describe
from chalicelib.services import receipts as service
from chalicelib.worker import email_events as email_events_worker
from chalicelib.worker import receipts as worker
from devstack import ses_events as ses_events_stand_in
from devstack import worker_runner
from devstack.worker_runner import WorkerRunner
from tests.support.payments_world import notify, pay, payments_world, status_of
from tests.support.pdfs import page_text
from tests.support.receipt_jobs import deliver, meta, paid, receipt_of, take_job


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    """The app, a fake TGR and a clock on the module's demo stack."""
    yield from payments_world(shared_demo_stack)


# -- fault injection: adapters that break once, where a real dependency could ----------------------

class Faults:
    """Steps that fail once, then work; `fired` lists the faults that actually broke a call, so a
    test can prove the break it arranged happened (an armed fault nobody hits proves nothing)."""

    def __init__(self) -> None:
        self.armed: dict[str, Exception] = {}
        self.fired: list[str] = []

    def arm(self, step: str, error: Exception | None = None) -> None:
        self.armed[step] = error or DependencyUnavailable("injected fault", code=f"fault_{step}")

    def hit(self, step: str) -> None:
        error = self.armed.pop(step, None)
        if error is not None:
            self.fired.append(step)
            raise error

    def assert_all_fired(self) -> None:
        """Every armed fault broke a call (called by the fixtures after each test)."""
        assert not self.armed, f"armed faults that never fired: {sorted(self.armed)}"


class Faulty:
    """Wraps an adapter: `before[name]` fails before the real call, `after[name]` after it."""

    def __init__(self, real: Any, faults: Faults, *, before: dict[str, str] | None = None,
                 after: dict[str, str] | None = None) -> None:
        self._real, self._faults, self._before, self._after = real, faults, before or {}, after or {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if name not in self._before and name not in self._after:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if name in self._before:
                self._faults.hit(self._before[name])
            result = attr(*args, **kwargs)
            if name in self._after:
                self._faults.hit(self._after[name])
            return result

        return call


@pytest.fixture
def rx(world, monkeypatch):
    """The receipt context of the worker with the test clock and fault points."""
    faults = Faults()
    real = wiring.receipt_context

    def context():
        ctx = real()
        ctx.clock = world["clock"]
        ctx.signer = Faulty(ctx.signer, faults, before={"sign": "sign"})
        ctx.store = Faulty(ctx.store, faults, after={"put": "after_put"})
        ctx.receipts = cast(Any, Faulty(ctx.receipts, faults, before={"mark_issued": "mark",
                                                                       "record_email": "record"}))
        ctx.mailer = Faulty(ctx.mailer, faults, before={"send": "send"}, after={"send": "after_send"})
        return ctx

    monkeypatch.setattr(wiring, "receipt_context", context)
    monkeypatch.setattr(service, "_RECORD_RETRIES_S", (0.0, 0.0, 0.0))
    yield {"world": world, "faults": faults}
    faults.assert_all_fired()


# -- helpers --------------------------------------------------------------------------------------

def mails_to(address: str) -> list[Message]:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [email.message_from_string(m.raw_data) for m in sent if any(address in d for d in m.destinations)]


def mails_to_ids(address: str) -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [m.id for m in sent if any(address in d for d in m.destinations)]


GRACE = timedelta(seconds=300)  # the default SEM_RECEIPT_EMAIL_EVENTS_GRACE_S


@contextlib.contextmanager
def shifted(world, by: timedelta) -> Iterator[None]:
    """The test clock moved forward by `by` for the block."""
    world["clock"].now += by
    try:
        yield
    finally:
        world["clock"].now -= by


@pytest.fixture
def ses_events() -> Callable[[], int]:
    """Publish the SES events of what was sent since the test began (the dev stack's stand-in,
    devstack/ses_events.py, over moto's in-process SES and SNS) and run the events worker on its
    queue, as Lambda would; returns how many events were handled."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]

    stand_in = ses_events_stand_in.in_moto_process(DEFAULT_ACCOUNT_ID, delay_scale=0, from_now=True)
    runner = WorkerRunner(boto3.client("sqs"), os.environ["SEM_SES_EVENTS_QUEUE_URL"],
                          email_events_worker.handle_email_event, "us-east-1")

    def pump() -> int:
        stand_in.step()
        handled = 0
        while runner.run_once(wait_s=0):
            handled += 1
        return handled

    return pump


def versions(key: str) -> int:
    s3 = boto3.client("s3")
    listing = s3.list_object_versions(Bucket=os.environ["SEM_RECEIPTS_BUCKET"], Prefix=key)
    return len(listing.get("Versions", []))


def counter(year: int = 2027) -> int:
    return wiring.receipts_repo().counter("13101", year)


def attachment_of(message: Message) -> bytes:
    parts = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def part_text(message: Message, content_type: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == content_type)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "ascii")


def get(world, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    response = world["client"].http.get(path, headers=headers or {})
    body = response.body
    if response.headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(body)
    return response.status_code, body, response.headers


def assert_complete_once(created: dict[str, Any], *, counter_before: int) -> dict[str, Any]:
    """One folio (the next one), one stored object, one e-mail carrying it; returns the receipt."""
    payment = meta(created["payment_id"])
    receipt = receipt_of(created["payment_id"])
    assert receipt["folio"] == f"13101-2027-{counter_before + 1:06d}"
    assert counter() == counter_before + 1
    assert versions(receipt["key"]) == 1
    mails = mails_to(created["email"])
    assert len(mails) == 1
    stored = boto3.client("s3").get_object(Bucket=os.environ["SEM_RECEIPTS_BUCKET"], Key=receipt["key"])["Body"].read()
    assert attachment_of(mails[0]) == stored
    assert payment["email"]["status"] == "sent"
    return dict(receipt)


# -- the happy path -------------------------------------------------------------------------------

def test_a_paid_payment_gets_one_signed_receipt_stored_mailed_and_verifiable(rx):
    world = rx["world"]
    before = counter()
    created = paid(world, "happy", items=[{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"},
                                          {"type": "debt", "debt_id": "ASE-2027-1-004567"}],
                   name="María José <b>Pérez</b> & Cía")
    deliver(created["job"])

    receipt = assert_complete_once(created, counter_before=before)
    assert receipt["key"] == f"13101/receipts/2027/{receipt['folio']}.pdf"
    code = receipt["verification_code"]
    assert len(code) == 11
    assert code[5] == "-"
    head = boto3.client("s3").head_object(Bucket=os.environ["SEM_RECEIPTS_BUCKET"], Key=receipt["key"])
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"

    # The e-mail: from the municipality's sender, Spanish, text + HTML + the PDF.
    mail = mails_to(created["email"])[0]
    assert "no-responder@munistgo.demo" in mail["From"]
    assert str(email.header.make_header(email.header.decode_header(mail["Subject"]))) == (
        f"Comprobante de pago {receipt['folio']} — Municipalidad de Santiago")
    assert mail.get_content_type() == "multipart/mixed"
    kinds = [p.get_content_type() for p in mail.walk()]
    assert kinds[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    text, html = part_text(mail, "text/plain"), part_text(mail, "text/html")
    total = meta(created["payment_id"])["amount"]
    expected_total = f"${total:,}".replace(",", ".")
    for body in (text, html):
        assert receipt["folio"] in body
        assert code in body
        assert expected_total in body
        assert "20-03-2027" in body
        assert "Tarjeta de débito" in body
    assert "María José &lt;b&gt;Pérez&lt;/b&gt; &amp; Cía" in html  # escaped in HTML
    assert "María José <b>Pérez</b> & Cía" in text  # as typed in plain text
    pdf = attachment_of(mail)

    # The signature validates against the chain the API publishes.
    status, body, headers = get(world, "/v1/trust/ca.pem")
    assert (status, headers["Content-Type"]) == (200, "application/x-pem-file")
    ca_pem = body if isinstance(body, bytes) else body.encode()
    assert ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    from chalicelib.signing.verify import verify_receipt_pdf

    result = verify_receipt_pdf(pdf, ca_pem)
    assert result.valid, result.reason
    assert result.signer_common_name == DEFAULT_SIGNER_NAME
    middle = len(pdf) // 3
    tampered = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1:]
    assert not verify_receipt_pdf(tampered, ca_pem).valid

    # The citizen's status route shows the receipt with a download link.
    st, body, _ = status_of(world, created)
    assert st == 200
    assert body["receipt"]["folio"] == receipt["folio"]
    assert body["receipt"]["verification_code"] == code
    assert receipt["key"] in body["receipt"]["download_url"]

    # The public verification route confirms it, and says nothing about the payer.
    st, verified, headers = get(world, f"/v1/receipts/verify?folio={receipt['folio']}&code={code}")
    assert st == 200, verified
    assert verified["valid"] is True
    assert verified["municipality"] == {"code": "13101", "name": "Municipalidad de Santiago"}
    assert verified["amount"] == total
    assert verified["issued_on"] == "2027-03-20"
    assert verified["signature"]["status"] == "signed"
    assert verified["signature"]["trust_chain"] == "/v1/trust/ca.pem"
    assert headers["Cache-Control"] == "no-store"
    dumped = json.dumps(verified)
    assert "12345678" not in dumped
    assert "@" not in dumped
    assert "María" not in dumped
    typed = code.lower().replace("-", "").replace("0", "o").replace("1", "l")  # as a person might type it
    assert get(world, f"/v1/receipts/verify?folio={receipt['folio']}&code={typed}")[0] == 200


def test_verification_gives_nothing_away(rx):
    world = rx["world"]
    created = paid(world, "verify")
    deliver(created["job"])
    folio = receipt_of(created["payment_id"])["folio"]
    wrong = get(world, f"/v1/receipts/verify?folio={folio}&code=ABCDE-FGHJK")
    unknown = get(world, "/v1/receipts/verify?folio=13101-2027-999999&code=ABCDE-FGHJK")
    other_muni = get(world, "/v1/receipts/verify?folio=13114-2027-000001&code=ABCDE-FGHJK")
    for status, body, _ in (wrong, unknown, other_muni):
        assert (status, body["error"]["code"]) == (404, "receipt_not_found")
        assert body["error"]["message"] == wrong[1]["error"]["message"]
    for query, field in (("folio=13101-27-1&code=ABCDE-FGHJK", "folio"), (f"folio={folio}&code=UUUUU-UUUUU", "code"),
                         (f"folio={folio}", "code")):
        status, body, _ = get(world, f"/v1/receipts/verify?{query}")
        assert (status, body["error"]["field"]) == (400, field), body


# -- redelivery and crashes -----------------------------------------------------------------------

def test_redelivery_changes_nothing(rx):
    before = counter()
    created = paid(rx["world"], "redeliver")
    deliver(created["job"])
    first = assert_complete_once(created, counter_before=before)
    events = [e["type"] for e in wiring.payments_repo().events("13101", created["payment_id"])]
    deliver(created["job"])
    deliver(created["job"])
    assert assert_complete_once(created, counter_before=before) == first
    assert [e["type"] for e in wiring.payments_repo().events("13101", created["payment_id"])] == events
    assert events.count("receipt_issued") == 1
    assert events.count("receipt_emailed") == 1


def test_an_official_resend_sends_the_same_receipt_once_more(rx):
    from chalicelib.services import admin_payments
    from chalicelib.services.auth import Official

    before = counter()
    created = paid(rx["world"], "resend")
    deliver(created["job"])
    first = assert_complete_once(created, counter_before=before)
    official = Official(email="operador.rentas@munistgo.demo", municipality="13101", profile="operador_rentas",
                        name="Operador")
    admin_payments.resend_receipt("13101", created["payment_id"], official, wiring.payments_admin())
    resend_job = take_job(created["payment_id"])  # the job the resend queued
    deliver(resend_job)
    deliver(resend_job)  # a redelivery of the resend job sends nothing more
    mails = mails_to(created["email"])
    assert len(mails) == 2
    assert attachment_of(mails[0]) == attachment_of(mails[1])
    assert receipt_of(created["payment_id"]) == first  # the same receipt, not a new one
    attempts = wiring.receipts_repo().email_attempts("13101", created["payment_id"])
    assert [(a["attempt"], a["outcome"], a["to"]) for a in attempts] == [(1, "sent", created["email"]),
                                                                         (2, "sent", created["email"])]
    assert counter() == before + 1  # no second folio


@pytest.mark.parametrize(("step", "attempts"), [
    ("sign", 1),        # after the folio: KMS throttled while signing
    ("after_put", 1),   # the PDF is in S3, the worker dies before marking the payment
    ("mark", 1),        # DynamoDB unavailable when marking the receipt issued
    ("send", 2),        # SES throttled: the attempt is recorded as "retry", the redelivery sends
])
def test_a_delivery_that_breaks_off_is_completed_by_the_next_one(rx, step, attempts):
    before = counter()
    created = paid(rx["world"], f"crash-{step}")
    rx["faults"].arm(step)
    with pytest.raises(DependencyUnavailable):
        deliver(created["job"])
    assert rx["faults"].fired == [step]
    assert mails_to(created["email"]) == []
    deliver(created["job"])
    assert_complete_once(created, counter_before=before)
    rows = wiring.receipts_repo().email_attempts("13101", created["payment_id"])
    assert [r["outcome"] for r in rows] == (["retry", "sent"] if attempts == 2 else ["sent"])
    assert meta(created["payment_id"])["email"]["attempts"] == attempts


def test_a_database_hiccup_after_ses_accepted_does_not_send_twice(rx):
    before = counter()
    created = paid(rx["world"], "record-hiccup")
    rx["faults"].arm("record")  # recording "sent" fails once: retried in process, not by redelivery
    deliver(created["job"])
    assert rx["faults"].fired == ["record"]  # the hiccup happened, and the first delivery absorbed it
    deliver(created["job"])
    assert_complete_once(created, counter_before=before)


def test_a_twin_delivery_waits_for_the_lease_and_a_dead_senders_lease_is_taken_over(rx):
    world = rx["world"]
    created = paid(world, "lease")
    pid = created["payment_id"]
    # Another worker claimed the e-mail and died before sending (or is still sending).
    now = world["clock"]()
    assert wiring.receipts_repo().claim_email("13101", pid, attempt_id="other", now_key=utc_key(now),
                                              lease_until=utc_key(now + timedelta(minutes=2)), attempts=1)
    with pytest.raises(DependencyUnavailable) as caught:
        deliver(created["job"])
    assert caught.value.code == "email_in_progress"
    assert mails_to(created["email"]) == []
    assert receipt_of(pid)  # the receipt is issued even while the e-mail waits
    # The lease ran out, but SES's events for that attempt may still come: wait for them.
    with shifted(world, timedelta(minutes=3)), pytest.raises(DependencyUnavailable) as caught:
        deliver(created["job"])
    assert caught.value.code == "email_awaiting_events"
    assert mails_to(created["email"]) == []
    # No event within the grace period after the lease: that attempt never reached SES.
    with shifted(world, timedelta(minutes=2) + GRACE + timedelta(seconds=1)):
        deliver(created["job"])
    assert len(mails_to(created["email"])) == 1
    assert meta(pid)["email"]["status"] == "sent"


def test_a_lost_ses_response_is_settled_from_ses_events_and_not_sent_again(rx, ses_events):
    created = paid(rx["world"], "lost-response")
    rx["faults"].arm("after_send", DependencyUnavailable("no answer", code="email_outcome_unknown"))
    with pytest.raises(DependencyUnavailable):
        deliver(created["job"])  # SES accepted, but the worker saw a read timeout
    assert rx["faults"].fired == ["after_send"]
    assert meta(created["payment_id"])["email"]["status"] == "unknown"
    assert ses_events() >= 2  # Send and Delivery, through SNS, SQS and the events worker
    deliver(created["job"])
    assert len(mails_to(created["email"])) == 1
    email_state = meta(created["payment_id"])["email"]
    assert (email_state["status"], email_state["confirmed_by"]) == ("sent", "ses_events")
    assert email_state["message_id"] == mails_to_ids(created["email"])[0]


def test_an_attempt_of_unknown_outcome_without_events_is_sent_again_after_the_grace_period(rx):
    world = rx["world"]
    created = paid(world, "lost-unsent")
    rx["faults"].arm("send", DependencyUnavailable("reset", code="email_outcome_unknown"))
    with pytest.raises(DependencyUnavailable):
        deliver(created["job"])  # the connection broke: SES may or may not have the message
    assert rx["faults"].fired == ["send"]
    with pytest.raises(DependencyUnavailable) as caught:
        deliver(created["job"])
    assert caught.value.code == "email_awaiting_events"
    assert mails_to(created["email"]) == []
    with shifted(world, GRACE + timedelta(seconds=1)):
        deliver(created["job"])
    assert len(mails_to(created["email"])) == 1
    assert meta(created["payment_id"])["email"]["status"] == "sent"


def _settling_write_fails(monkeypatch) -> Callable[[], None]:
    """The database refuses the write that settles an e-mail claim (the rest works); returns the undo."""
    real_update = DynamoTable.update

    def settle_fails(self, pk, sk, update, **kwargs):
        if sk == "META" and update.startswith("SET #e = :state") and "attempt_id = :mine" in str(
                kwargs.get("condition")):
            raise DependencyUnavailable("down", code="database_unavailable")
        return real_update(self, pk, sk, update, **kwargs)

    monkeypatch.setattr(DynamoTable, "update", settle_fails)
    return lambda: monkeypatch.setattr(DynamoTable, "update", real_update)


def test_a_sent_e_mail_whose_state_was_never_written_is_settled_from_ses_events_as_one_attempt(rx, ses_events,
                                                                                             monkeypatch):
    world = rx["world"]
    created = paid(world, "sent-unrecorded")
    pid = created["payment_id"]
    undo = _settling_write_fails(monkeypatch)
    with pytest.raises(DependencyUnavailable):
        deliver(created["job"])  # SES accepted; recording it failed through the in-process retries
    undo()
    assert meta(pid)["email"]["status"] == "sending"  # its claim is still open: not settled
    assert wiring.data_table().get(table_keys.payment("13101", pid), "META")["gsi3pk"]  # the outbox mark stays
    assert ses_events() >= 2
    with shifted(world, timedelta(minutes=3)):  # the lease ran out: SES's events settle that attempt
        deliver(created["job"])
    assert len(mails_to(created["email"])) == 1
    state = meta(pid)["email"]
    assert (state["status"], state["confirmed_by"]) == ("sent", "ses_events")
    rows = wiring.receipts_repo().email_attempts("13101", pid)
    assert [(r["attempt"], r["outcome"], r.get("confirmed_by"), r["to"]) for r in rows] == [
        (1, "sent", "ses_events", created["email"])]
    assert "gsi3pk" not in wiring.data_table().get(table_keys.payment("13101", pid), "META")


def test_an_attempt_row_is_written_before_the_state_it_settles(rx, ses_events, monkeypatch):
    world = rx["world"]
    created = paid(world, "row-first")
    pid = created["payment_id"]
    rx["faults"].arm("after_send", DependencyUnavailable("no answer", code="email_outcome_unknown"))
    undo = _settling_write_fails(monkeypatch)
    with pytest.raises(DependencyUnavailable):
        deliver(created["job"])  # SES's answer lost, and the state could not be written either
    undo()
    rows = wiring.receipts_repo().email_attempts("13101", pid)
    assert [(r["outcome"], r["to"]) for r in rows] == [("unknown", created["email"])]  # true, and kept
    assert meta(pid)["email"]["status"] == "sending"  # the claim is still open
    assert ses_events() >= 2
    with shifted(world, timedelta(minutes=3)):
        deliver(created["job"])
    assert len(mails_to(created["email"])) == 1
    rows = wiring.receipts_repo().email_attempts("13101", pid)  # the attempt, settled: shown once
    assert [(r["attempt"], r["outcome"], r.get("confirmed_by")) for r in rows] == [(1, "sent", "ses_events")]


def test_the_receipt_steps_leave_no_event_rows_and_the_history_shows_them(rx):
    created = paid(rx["world"], "no-rows")
    deliver(created["job"])
    pid = created["payment_id"]
    rows = list(wiring.data_table().query_all(table_keys.payment("13101", pid), sk_prefix="EVENT#"))
    assert not {"receipt_issued", "receipt_emailed", "receipt_email_failed"} & {r["type"] for r in rows}
    record = meta(pid)
    assert "receipt" not in record  # no copy of receipt_issue's fields
    assert set(record["receipt_issue"]) == {"folio", "verification_code", "issued_at", "signed_at"}
    events = {e["type"]: e for e in wiring.payments_repo().events("13101", pid)}
    assert events["receipt_issued"]["detail"] == {"folio": receipt_of(pid)["folio"], "key": receipt_of(pid)["key"]}
    assert events["receipt_emailed"]["detail"] == {"message_id": mails_to_ids(created["email"])[0]}
    record_row = wiring.receipts_repo().get("13101", receipt_of(pid)["folio"])
    assert record_row is not None
    assert (record_row["status"], record_row["payment_id"]) == ("issued", pid)
    assert record_row["document_sha256"]


def test_a_payment_allocated_by_the_previous_code_is_issued_by_this_one(rx):
    """In flight at a deploy: the folio given the old way (the whole allocation on the payment, the
    record written `allocated`); this code issues it, and every reader sees it as any other."""
    created = paid(rx["world"], "old-shape")
    pid = created["payment_id"]
    code = receipt_codes.new_verification_code()
    folio = wiring.receipts_repo().allocate_folio("13101", pid, FolioRequest(
        year=2027, verification_code=code, issued_at="2027-03-20T10:00:00-03:00", amount=12_345))["folio"]
    old_issue = {"folio": folio, "number": int(folio[-6:]), "year": 2027, "verification_code": code,
                 "issued_at": "2027-03-20T10:00:00-03:00", "key": f"13101/receipts/2027/{folio}.pdf"}
    table = wiring.data_table()
    table.update(table_keys.payment("13101", pid), "META", "SET receipt_issue = :i", values={":i": old_issue})
    table.put({"pk": table_keys.receipt("13101", folio), "sk": "RECEIPT", "folio": folio, "municipality": "13101",
               "payment_id": pid, "amount": 12_345, "issued_at": "2027-03-20T10:00:00-03:00",
               "code_hash": receipt_codes.code_hash(folio, code), "status": "allocated"})
    deliver(created["job"])
    assert receipt_of(pid)["folio"] == folio
    assert meta(pid)["email"]["status"] == "sent"
    assert wiring.receipts_repo().get("13101", folio)["status"] == "issued"
    status, body, _ = get(rx["world"], f"/v1/receipts/verify?folio={folio}&code={code}")
    assert (status, body["folio"], body["valid"]) == (200, folio, True)


def test_two_payments_get_consecutive_folios_even_when_they_race(rx, monkeypatch):
    before = counter()
    first, second = paid(rx["world"], "seq-1"), paid(rx["world"], "seq-2")
    repo = wiring.receipts_repo()
    real_counter = repo.counter
    stale = [before]  # the second allocation reads a counter value the first already used
    reads: list[bool] = []

    def racing_counter(code: str, year: int, *, consistent: bool = True) -> int:
        reads.append(consistent)
        return stale.pop() if stale else real_counter(code, year, consistent=consistent)

    deliver(first["job"])
    monkeypatch.setattr(repo, "counter", racing_counter)
    deliver(second["job"])
    folios = [receipt_of(p["payment_id"])["folio"] for p in (first, second)]
    assert folios == [f"13101-2027-{before + 1:06d}", f"13101-2027-{before + 2:06d}"]
    # The first read is only a guess (eventually consistent); after the conflict, a consistent one.
    assert reads == [False, True]
    assert counter() == before + 2


# -- what is not retried --------------------------------------------------------------------------

def test_a_refused_email_is_recorded_for_officials_and_not_retried(rx):
    ses = boto3.client("ses")
    created = paid(rx["world"], "refused")
    ses.delete_identity(Identity="no-responder@munistgo.demo")  # the sender stops being verified
    try:
        deliver(created["job"])  # returns: the message is done, not retried
        deliver(created["job"])  # a stray redelivery does not try again
    finally:
        ses.verify_email_identity(EmailAddress="no-responder@munistgo.demo")
    payment = meta(created["payment_id"])
    assert receipt_of(created["payment_id"])["folio"]  # issued and downloadable all the same
    assert payment["email"]["status"] == "failed"
    assert payment["email"]["reason_code"] == "email_rejected"
    assert "MessageRejected" in payment["email"]["reason"]
    rows = wiring.receipts_repo().email_attempts("13101", created["payment_id"])
    assert [(r["outcome"], r["to"]) for r in rows] == [("failed", created["email"])]
    assert "receipt_email_failed" in [e["type"] for e in wiring.payments_repo().events("13101",
                                                                                      created["payment_id"])]
    assert mails_to(created["email"]) == []


def test_a_sender_not_verified_for_the_municipality_is_refused_before_ses(rx):
    """A sender stored before the settings checked it (or written around them) that is not under
    the municipality's identities: the worker refuses it itself, even though SES would accept
    the address (verified, but for another municipality). Issue 15.4."""
    table = wiring.data_table()
    config = table.get(table_keys.municipality("13101"), "CONFIG")
    created = paid(rx["world"], "foreign-sender")
    table.put({**config, "sender_email": "no-responder@lascondes.demo"})
    wiring.municipalities().forget("13101")
    try:
        deliver(created["job"])
    finally:
        table.put(config)
        wiring.municipalities().forget("13101")
    payment = meta(created["payment_id"])
    assert payment["email"]["status"] == "failed"
    assert payment["email"]["reason_code"] == "sender_not_verified"
    assert mails_to(created["email"]) == []


def test_jobs_for_unknown_or_unpaid_payments(rx):
    world = rx["world"]
    worker.process(worker.ReceiptJob(municipality="13101", payment_id="13101-01JZZZZZZZZZZZZZZZZZZZZZZZ"))
    status, pending, _ = pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}],
                                            key="rx-pending")
    assert status == 201, pending
    try:
        with pytest.raises(DependencyUnavailable) as caught:
            worker.process(worker.ReceiptJob(municipality="13101", payment_id=pending["payment_id"]))
        assert caught.value.retryable
        assert caught.value.code == "payment_not_paid_yet"
    finally:
        notify(world, pending["payment_id"], status="rejected")
    worker.process(worker.ReceiptJob(municipality="13101", payment_id=pending["payment_id"]))  # rejected: done
    assert "receipt_issue" not in meta(pending["payment_id"])


def test_a_poison_message_reaches_the_dead_letter_queue(rx, monkeypatch):
    sqs = boto3.client("sqs")
    url, dlq = os.environ["SEM_RECEIPTS_QUEUE_URL"], rx["world"]["facts"]["env"]["SEM_RECEIPTS_DLQ_URL"]
    monkeypatch.setattr(worker_runner, "BACKOFF_S", (0,))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"municipality": "13101", "payment_id": "x/../y"}))
    runner = WorkerRunner(sqs, url, worker.handle_receipt_job, "us-east-1")
    assert sum(runner.run_once(wait_s=0) for _ in range(8)) == 0
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1)["Messages"]
    assert json.loads(moved[0]["Body"])["payment_id"] == "x/../y"


# -- small pure pieces ----------------------------------------------------------------------------

def test_verification_codes_are_unambiguous_and_forgiving():
    codes = {receipt_codes.new_verification_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 11 and c[5] == "-" and not set(c) & set("ILOU") for c in codes)
    assert receipt_codes.normalize_code(" k7p3o-xq2l4 ") == "K7P30-XQ214"
    with pytest.raises(InvalidInput):
        receipt_codes.normalize_code("K7P3-XQ2")


def test_keys_are_tenant_scoped():
    assert table_keys.folio_counter("13101", 2027) == "13101#FOLIO#2027"
    assert table_keys.receipt("13101", "13101-2027-000001") == "13101#RECEIPT#13101-2027-000001"
    with pytest.raises(ValueError, match="5-digit"):
        table_keys.receipt("1310#", "x")


# -- SES's events ---------------------------------------------------------------------------------

def ses_rows(payment_id: str) -> list[dict[str, Any]]:
    return wiring.email_events_repo().of_payment("13101", payment_id)


def notification(event: dict[str, Any], *, topic: str | None = None, kind: str = "Notification") -> str:
    """An SNS envelope around an SES event, as the topic's SQS subscription delivers it."""
    return json.dumps({"Type": kind, "MessageId": "m-1", "TopicArn": topic or os.environ["SEM_SES_EVENTS_TOPIC_ARN"],
                       "Message": json.dumps(event), "Timestamp": "2027-03-20T13:00:00.000Z",
                       "SignatureVersion": "1", "Signature": "x", "SigningCertURL": "https://127.0.0.1/x.pem"})


def ses_event(kind: str, created: dict[str, Any], **tags: str) -> dict[str, Any]:
    payment = meta(created["payment_id"])
    given = {"municipality": "13101", "payment": created["payment_id"],
             "folio": receipt_of(created["payment_id"])["folio"],
             "attempt": payment["email"].get("attempt_id", "a1"), **tags}
    detail = {"Delivery": ("delivery", {"timestamp": "2027-03-20T13:00:05.000Z", "recipients": [created["email"]]}),
              "Send": ("send", {})}[kind]
    return {"eventType": kind, "mail": {"timestamp": "2027-03-20T13:00:00.000Z", "messageId": "ses-forged-1",
                                        "source": "no-responder@munistgo.demo", "destination": [created["email"]],
                                        "tags": {k: [v] for k, v in given.items()}},
            detail[0]: detail[1]}


def test_every_receipt_email_goes_out_under_the_configuration_set_with_its_tags(rx, ses_events):
    created = paid(rx["world"], "tagged")
    deliver(created["job"])
    (message,) = mails_to(created["email"])
    payment = meta(created["payment_id"])
    assert message["X-SES-CONFIGURATION-SET"] == os.environ["SEM_SES_CONFIGURATION_SET"]
    tags = dict(pair.strip().split("=") for pair in message["X-SES-MESSAGE-TAGS"].split(","))
    assert tags["municipality"] == "13101"
    assert tags["payment"] == created["payment_id"]
    assert tags["folio"] == receipt_of(created["payment_id"])["folio"]
    assert ses_events() == 2
    rows = ses_rows(created["payment_id"])
    assert {r["type"] for r in rows} == {"send", "delivery"}
    assert {r["message_id"] for r in rows} == {payment["email"]["message_id"]}
    assert {r["attempt_id"] for r in rows} == {tags["attempt"]}


def test_ses_events_are_recorded_once_whatever_their_order(rx):
    from chalicelib.services.email_events import attempt_status

    created = paid(rx["world"], "event-order")
    deliver(created["job"])
    delivery, send = ses_event("Delivery", created), ses_event("Send", created)
    outcomes = [email_events_worker.process(notification(e)) for e in (delivery, send, delivery, send)]
    assert outcomes == ["recorded", "recorded", "duplicate", "duplicate"]
    rows = ses_rows(created["payment_id"])
    assert len(rows) == 2
    assert attempt_status(rows) == {"status": "delivered", "dates": {"sent": "2027-03-20T13:00:00.000Z",
                                                                     "delivered": "2027-03-20T13:00:05.000Z"}}


@pytest.mark.parametrize("body", [
    "", "not json", "[]", json.dumps({"Type": "Notification"}),
    json.dumps({"Type": "Notification", "TopicArn": "{topic}", "Message": "not json"}),
    json.dumps({"Type": "Notification", "TopicArn": "{topic}", "Message": json.dumps({"eventType": "Send"})}),
    json.dumps({"Type": "Notification", "TopicArn": "{topic}",
                "Message": json.dumps({"eventType": "Open", "mail": {"messageId": "x", "tags": {}}})}),
])
def test_malformed_event_messages_are_refused_and_change_nothing(rx, body):
    outcome = email_events_worker.process(body.replace("{topic}", os.environ["SEM_SES_EVENTS_TOPIC_ARN"]))
    assert outcome.startswith("refused:")


def test_forged_events_change_no_receipt(rx):
    created = paid(rx["world"], "forged")
    deliver(created["job"])
    before = meta(created["payment_id"])
    send = ses_event("Send", created)
    other_topic = "arn:aws:sns:us-east-1:123456789012:someone-elses-topic"
    assert email_events_worker.process(notification(send, topic=other_topic)) == "refused:foreign_topic"
    assert email_events_worker.process(notification(send, kind="SubscriptionConfirmation")) == \
        "refused:not_a_notification"
    untagged = {**send, "mail": {**send["mail"], "tags": {}}}
    assert email_events_worker.process(notification(untagged)) == "refused:untagged_event"
    # A folio that is not this payment's, and this payment's id under another municipality.
    assert email_events_worker.process(notification(ses_event("Send", created, folio="13101-2027-999999"))) == \
        "no_such_receipt"
    assert email_events_worker.process(notification(ses_event("Send", created, municipality="05101"))) == \
        "no_such_receipt"
    assert email_events_worker.process(notification(ses_event("Send", created, municipality="../x"))) == \
        "refused:untagged_event"
    assert ses_rows(created["payment_id"]) == []
    assert meta(created["payment_id"]) == before


def test_a_hard_bounce_marks_the_payment_and_a_complaint_suppresses_the_address(rx, ses_events):
    bounced = paid(rx["world"], "bounce", address="bounce@simulator.amazonses.com")
    deliver(bounced["job"])
    ses_events()
    mark = meta(bounced["payment_id"])["email_bounce"]
    assert (mark["subtype"], mark["message_id"]) == ("General", meta(bounced["payment_id"])["email"]["message_id"])
    assert {r["type"] for r in ses_rows(bounced["payment_id"])} == {"send", "bounce"}

    complained = paid(rx["world"], "complaint", address="complaint@simulator.amazonses.com")
    deliver(complained["job"])
    ses_events()
    assert {r["type"] for r in ses_rows(complained["payment_id"])} == {"send", "delivery", "complaint"}
    assert "email_complaint" in meta(complained["payment_id"])
    # Further mail to that address stops: the next receipt is recorded as not sent, for officials.
    again = paid(rx["world"], "complaint-2", address="complaint@simulator.amazonses.com")
    deliver(again["job"])
    assert len(mails_to("complaint@simulator.amazonses.com")) == 1
    state = meta(again["payment_id"])["email"]
    assert (state["status"], state["reason_code"]) == ("failed", "email_suppressed")


def test_a_bounced_address_is_shown_corrected_audited_and_resent(rx, ses_events):
    from datetime import UTC, datetime

    from chalicelib.adapters import table_keys
    from chalicelib.services import admin_payments
    from chalicelib.services.auth import Official

    created = paid(rx["world"], "bounce-fix", address="maria.bounce-fix@rebota.sem.demo")
    pid = created["payment_id"]
    deliver(created["job"])
    ses_events()
    detail = admin_payments.payment_detail("13101", pid, wiring.payments_admin())
    assert detail["delivery_status"] == "bounced"
    assert set(detail["delivery"][-1]["dates"]) == {"sent", "bounced"}
    assert detail["email_bounce"]["subtype"] == "General"
    # The citizen's status says so, beside the download.
    status, body = status_of(rx["world"], created)[:2]
    assert status == 200
    assert body["email_notice"]["status"] == "bounced"
    assert body["receipt"]["download_url"]
    # An official corrects the address and resends: audited, the bounce mark goes, the new one gets it.
    official = Official(email="operador.rentas@munistgo.demo", municipality="13101", profile="operador_rentas",
                        name="Operador")
    admin_payments.resend_receipt("13101", pid, official, wiring.payments_admin(),
                                  new_email="maria.corregida@ciudadano.demo")
    deliver(take_job(pid))
    ses_events()
    assert len(mails_to("maria.corregida@ciudadano.demo")) == 1
    payment = meta(pid)
    assert payment["payer"]["email"] == "maria.corregida@ciudadano.demo"
    assert "email_bounce" not in payment
    detail = admin_payments.payment_detail("13101", pid, wiring.payments_admin())
    assert [a["status"] for a in detail["delivery"]] == ["bounced", "delivered"]
    assert detail["delivery_status"] == "delivered"
    # Each attempt with the address it went to: the first kept as a row by the resend, before the
    # payer's address was corrected.
    assert [(e["attempt"], e["outcome"], e["to"]) for e in detail["emails"]] == [
        (1, "sent", "maria.bounce-fix@rebota.sem.demo"), (2, "sent", "maria.corregida@ciudadano.demo")]
    month = datetime.now(UTC).strftime("%Y-%m")
    audit = [row for row in wiring.data_table().query_all(table_keys.audit("13101", month))
             if row.get("target") == pid and row.get("action") == "payment.receipt.resend"]
    assert audit[-1]["before"] == {"to": "maria.bounce-fix@rebota.sem.demo"}
    assert audit[-1]["after"]["to"] == "maria.corregida@ciudadano.demo"
    assert "email_notice" not in status_of(rx["world"], created)[1]


def test_the_delivery_page_and_sending_health_count_what_ses_reported(rx, ses_events):
    from datetime import UTC, datetime

    from chalicelib.services import email_events

    delivered = paid(rx["world"], "health-ok")
    bounced = paid(rx["world"], "health-bounce", address="otra.persona@rebota.sem.demo")
    for created in (delivered, bounced):
        deliver(created["job"])
    ses_events()
    page = email_events.delivery_page("13101", wiring.email_events_repo(), datetime.now(UTC))
    rows = {r["payment_id"]: r for r in page["emails"]}
    assert rows[delivered["payment_id"]]["status"] == "delivered"
    assert rows[bounced["payment_id"]]["status"] == "bounced"
    day = page["health"]["24h"]
    assert day["sent"] >= 2
    assert day["bounced"] >= 1
    assert day["bounce_rate"] == round(day["bounced"] / day["sent"], 5)
    assert day["warning"]  # far above 2 %
    # Another municipality's page shows none of it; the platform view adds every municipality up.
    assert email_events.delivery_page("13114", wiring.email_events_repo(), datetime.now(UTC))["emails"] == []
    platform = email_events.platform_health(["13101", "13114"], wiring.email_events_repo(), datetime.now(UTC))
    assert platform["platform"]["24h"]["sent"] == day["sent"]


# -- the signature, stated as what it is (issue 24) ------------------------------------------------

DESIGNATED = {"name": "Rosa Tapia Fuentes", "run": "11.111.111-1", "profile": "tesorero"}
ENTITY = "Ilustre Municipalidad de Santiago"


class Designating:
    """The municipalities' configurations with 13101's receipt signer designated (as the
    administrator does in the console, services/receipt_signer_admin.py)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def get(self, code: str) -> dict[str, Any] | None:
        return self._designated(code, self._real.get(code))

    def current(self, code: str, *, max_age_s: float = 0.0) -> dict[str, Any] | None:
        return self._designated(code, self._real.current(code, max_age_s=max_age_s))

    @staticmethod
    def _designated(code: str, found: dict[str, Any] | None) -> dict[str, Any] | None:
        return {**found, "receipt_signer": DESIGNATED} if found and code == "13101" else found


@pytest.fixture
def firmagob(rx, tmp_path):
    """The worker and the API configured with the FirmaGob backend, against the stand-in, whose
    published chain is the configured one; 13101 has designated its receipt signer."""
    from devstack.simulators.firmagob import (
        TEST_API_TOKEN_KEY,
        TEST_SECRET,
        FirmaGobConfig,
        FirmaGobServer,
        FirmaGobStandIn,
    )

    stand_in = FirmaGobStandIn(FirmaGobConfig(entities={ENTITY}, unattended_runs={"11111111"}))
    chain = tmp_path / "firmagob-chain.pem"
    chain.write_bytes(stand_in.chain_pem())
    with FirmaGobServer(stand_in) as server, pytest.MonkeyPatch.context() as mp:
        for name, value in {"SEM_SIGNING_BACKEND": "firmagob", "SEM_FIRMAGOB_URL": server.url,
                            "SEM_FIRMAGOB_API_TOKEN_KEY": TEST_API_TOKEN_KEY, "SEM_FIRMAGOB_SECRET": TEST_SECRET,
                            "SEM_FIRMAGOB_ENTITIES": json.dumps({"13101": ENTITY}),
                            "SEM_FIRMAGOB_CHAIN_PATH": str(chain),
                            "SEM_FIRMAGOB_CHAIN_SOURCE": "the stand-in (devstack/simulators/firmagob.py)"}.items():
            mp.setenv(name, value)
        wiring.reset()
        inner = wiring.receipt_context

        def context() -> Any:
            ctx = inner()
            ctx.municipalities = Designating(ctx.municipalities)
            return ctx

        mp.setattr(wiring, "receipt_context", context)
        yield {**rx, "stand_in": stand_in}
    wiring.reset()


def stored_pdf(receipt: dict[str, Any]) -> bytes:
    body = boto3.client("s3").get_object(Bucket=os.environ["SEM_RECEIPTS_BUCKET"], Key=receipt["key"])["Body"]
    return bytes(body.read())


def verified_pdf(world, pdf: bytes) -> dict[str, Any]:
    response = world["client"].http.post("/v1/signatures/verify", body=pdf, headers={"Content-Type": "application/pdf"})
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def test_the_platform_ca_makes_a_simple_signature_and_every_text_says_so(rx):
    from chalicelib.domain.signature_kinds import PLATFORM_CA_NAME

    world = rx["world"]
    created = paid(world, "simple")
    deliver(created["job"])
    receipt = receipt_of(created["payment_id"])
    pdf = stored_pdf(receipt)
    legend = " ".join(page_text(pdf).split())
    assert "firma electrónica simple (Ley N° 19.799, art. 2 letra f)" in legend
    assert "no es un prestador acreditado" in legend
    mail = mails_to(created["email"])[0]
    for body in (page_text(pdf), part_text(mail, "text/plain"), part_text(mail, "text/html")):
        assert "avanzada" not in body  # never more than it is
    assert "firmado con firma electrónica simple" in " ".join(part_text(mail, "text/plain").split())
    assert "firmado con firma electrónica simple" in " ".join(part_text(mail, "text/html").split())

    record = wiring.receipts_repo().get("13101", receipt["folio"])
    assert record is not None
    assert {k: record["signature"][k] for k in ("backend", "level", "accredited", "issuer")} == {
        "backend": "platform", "level": "simple", "accredited": False, "issuer": PLATFORM_CA_NAME}
    # What the verification page and JSON show of it (`describe` of the record's signature).
    assert (describe(record["signature"])["level_text"], describe(record["signature"])["trust_chain"]) == (
        "firma electrónica simple", "/v1/trust/ca.pem")
    assert describe({"status": "signed"})["level_text"] == "firma electrónica simple"  # records from before
    checked = verified_pdf(world, pdf)
    assert checked["valid"] is True
    assert checked["signatures"][0]["kind"]["level"] == "simple"
    assert checked["signatures"][0]["kind"]["issuer"] == PLATFORM_CA_NAME
    assert get(world, "/v1/trust/firmagob.pem")[0] == 404  # this stack does not use FirmaGob


def test_firmagob_signs_receipts_unattended_as_the_designated_official_and_every_text_says_advanced(firmagob):
    from chalicelib.signing.verify import verify_receipt_pdf
    from devstack.simulators.firmagob import CHAIN_NAMES

    world, stand_in = firmagob["world"], firmagob["stand_in"]
    before = counter()
    created = paid(world, "firmagob")
    deliver(created["job"])
    receipt = assert_complete_once(created, counter_before=before)
    assert stand_in.requests == [{"run": "11111111", "purpose": "Desatendido", "entity": ENTITY, "files": 1}]
    deliver(created["job"])  # a redelivery signs nothing again
    assert len(stand_in.requests) == 1

    pdf = stored_pdf(receipt)
    issuer = CHAIN_NAMES[1]
    legend = " ".join(page_text(pdf).split())
    assert "firma electrónica avanzada (Ley N° 19.799, art. 2 letra g), certificada por FirmaGob" in legend
    assert f"Certificado emitido por {issuer}" in legend
    assert "simple" not in legend
    mail = mails_to(created["email"])[0]
    for body in (part_text(mail, "text/plain"), part_text(mail, "text/html")):
        flat = " ".join(body.split())
        assert "firmado con firma electrónica avanzada (Ley N° 19.799) a través de FirmaGob" in flat
        assert issuer in flat

    record = wiring.receipts_repo().get("13101", receipt["folio"])
    assert record is not None
    assert {k: record["signature"][k] for k in ("backend", "level", "accredited", "issuer", "signer")} == {
        "backend": "firmagob", "level": "avanzada", "accredited": True, "issuer": issuer,
        "signer": DESIGNATED["name"]}
    shown = describe(record["signature"])  # what the verification page and JSON show of it
    assert shown["level_text"] == "firma electrónica avanzada"
    assert shown["provider"] == "FirmaGob (Gobierno Digital, SEGPRES)"
    assert shown["trust_chain"] == "/v1/trust/firmagob.pem"

    # Validated against FirmaGob's published chain (here the stand-in's), not the platform CA's.
    status, chain, _ = get(world, "/v1/trust/firmagob.pem")
    chain_pem = chain if isinstance(chain, bytes) else chain.encode()
    assert (status, chain_pem) == (200, stand_in.chain_pem())
    assert verify_receipt_pdf(pdf, chain_pem).valid
    platform_only = verify_receipt_pdf(pdf, wiring.trust_roots_pem().split(stand_in.chain_pem())[0])
    assert not platform_only.trusted
    checked = verified_pdf(world, pdf)
    assert checked["valid"] is True, checked
    kind = checked["signatures"][0]["kind"]
    assert (kind["level"], kind["issuer"], kind["accredited"]) == ("avanzada", issuer, True)
    assert checked["signatures"][0]["run"] == "11111111"


def test_firmagob_outages_are_retried_and_its_refusals_end_the_job_until_the_sweep(firmagob):
    world, stand_in = firmagob["world"], firmagob["stand_in"]
    created = paid(world, "firmagob-faults")
    stand_in.outages = [503, 429]
    for _ in range(2):
        with pytest.raises(DependencyUnavailable) as down:
            deliver(created["job"])
        assert down.value.retryable
        assert down.value.code == "firmagob_unavailable"
    stand_in.config.unattended_runs.clear()  # FirmaGob no longer lets the RUN sign unattended: 403
    deliver(created["job"])  # refused: logged, no retry storm; the sweep re-queues it later
    assert "receipt" not in meta(created["payment_id"])
    assert stand_in.requests == []
    stand_in.config.unattended_runs.add("11111111")
    deliver(created["job"])
    assert receipt_of(created["payment_id"])["folio"].startswith("13101-2027-")
    assert len(stand_in.requests) == 1


def test_firmagob_never_signs_as_the_default_signer(firmagob, monkeypatch):
    world, stand_in = firmagob["world"], firmagob["stand_in"]
    monkeypatch.setattr(sys.modules[__name__], "DESIGNATED", {})  # no designation
    created = paid(world, "firmagob-undesignated")
    with pytest.raises(DependencyUnavailable) as waiting:
        deliver(created["job"])
    assert (waiting.value.code, waiting.value.retryable) == ("receipt_signer_not_designated", True)
    assert stand_in.requests == []


def test_a_receipt_in_flight_when_the_backend_is_switched_keeps_and_states_its_signature(firmagob):
    world, stand_in, faults = firmagob["world"], firmagob["stand_in"], firmagob["faults"]
    created = paid(world, "firmagob-switch")
    faults.arm("mark")  # signed through FirmaGob and stored, then the worker dies before marking it issued
    with pytest.raises(DependencyUnavailable):
        deliver(created["job"])
    assert faults.fired == ["mark"]
    assert len(stand_in.requests) == 1

    with pytest.MonkeyPatch.context() as switched:  # inside the fixture's environment, undone before it
        switched.setenv("SEM_SIGNING_BACKEND", "platform")  # switched back before the redelivery
        wiring.reset()
        deliver(created["job"])
    assert len(stand_in.requests) == 1  # the stored PDF is reused: not signed again
    receipt = receipt_of(created["payment_id"])
    record = wiring.receipts_repo().get("13101", receipt["folio"])
    assert record is not None
    assert (record["signature"]["backend"], record["signature"]["level"]) == ("firmagob", "avanzada")
    text = " ".join(part_text(mails_to(created["email"])[0], "text/plain").split())
    assert "firmado con firma electrónica avanzada (Ley N° 19.799) a través de FirmaGob" in text
