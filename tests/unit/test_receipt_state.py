"""A payment's receipt read from its record, new and old shapes alike, and the receipt steps' events
the record implies (domain/receipt_state.py, domain/payment_history.py)."""

from chalicelib.adapters.receipts_repo import folio_text, receipt_object_key
from chalicelib.domain.payment_history import history, implied_events
from chalicelib.domain.receipt_state import (
    email_attempts,
    implied_email_attempt,
    is_issued,
    issued_receipt,
    receipt_allocation,
    receipt_pdf_key,
)

FOLIO = "13101-2027-000042"
KEY = "13101/receipts/2027/13101-2027-000042.pdf"
ALLOCATED = {"receipt_issue": {"folio": FOLIO, "verification_code": "ABCD-EFGH",
                               "issued_at": "2027-03-20T10:00:00-03:00"}}
ISSUED = {"receipt_issue": {**ALLOCATED["receipt_issue"], "signed_at": "2027-03-20T10:00:01-03:00"}}
OLD_ISSUED = {"receipt_issue": {"folio": FOLIO, "number": 42, "year": 2027, "verification_code": "ABCD-EFGH",
                                "issued_at": "2027-03-20T10:00:00-03:00", "key": KEY},
              "receipt": {"folio": FOLIO, "verification_code": "ABCD-EFGH", "key": KEY,
                          "issued_at": "2027-03-20T10:00:00-03:00"}}


def test_the_pdf_key_follows_from_the_folio_as_the_adapter_builds_it() -> None:
    assert receipt_pdf_key(FOLIO) == KEY
    assert receipt_object_key("13101", 2027, folio_text("13101", 2027, 42)) == KEY


def test_an_allocated_receipt_has_its_folio_but_is_not_issued_yet() -> None:
    assert receipt_allocation(ALLOCATED) == {"folio": FOLIO, "number": 42, "year": 2027,
                                             "verification_code": "ABCD-EFGH",
                                             "issued_at": "2027-03-20T10:00:00-03:00", "key": KEY}
    assert issued_receipt(ALLOCATED) is None
    assert not is_issued(ALLOCATED)
    assert receipt_allocation({}) is None
    assert issued_receipt({}) is None


def test_new_and_old_records_give_the_same_issued_receipt() -> None:
    new = issued_receipt(ISSUED)
    old = issued_receipt(OLD_ISSUED)
    assert new is not None
    assert old is not None
    assert {k: new[k] for k in old} == old == {"folio": FOLIO, "verification_code": "ABCD-EFGH", "key": KEY,
                                                "issued_at": "2027-03-20T10:00:00-03:00"}
    assert receipt_allocation(OLD_ISSUED) == receipt_allocation(ISSUED)
    # An old record allocated but not issued yet (no `receipt`) is not issued either.
    assert issued_receipt({"receipt_issue": OLD_ISSUED["receipt_issue"]}) is None


def test_the_receipt_steps_are_implied_by_the_record() -> None:
    record = {**ISSUED, "email": {"status": "sent", "message_id": "m-1", "at": "2027-03-20T13:00:02Z",
                                  "attempts": 1}}
    events = implied_events(record)
    assert {"type": "receipt_issued", "at": "2027-03-20T10:00:01-03:00",
            "detail": {"folio": FOLIO, "key": KEY}} in events
    assert {"type": "receipt_emailed", "at": "2027-03-20T13:00:02Z", "detail": {"message_id": "m-1"}} in events
    by_events = {**ISSUED, "email": {"status": "sent", "message_id": "m-2", "at": "2027-03-20T13:00:02Z",
                                     "confirmed_by": "ses_events"}}
    assert {"type": "receipt_emailed", "at": "2027-03-20T13:00:02Z",
            "detail": {"message_id": "m-2", "confirmed_by": "ses_events"}} in implied_events(by_events)
    failed = {**ISSUED, "email": {"status": "failed", "reason_code": "email_rejected", "at": "2027-03-20T13:00:02Z"}}
    assert {"type": "receipt_email_failed", "at": "2027-03-20T13:00:02Z",
            "detail": {"reason": "email_rejected"}} in implied_events(failed)


def test_no_receipt_event_before_its_step() -> None:
    for record in (ALLOCATED, {**ISSUED, "email": {"status": "sending", "at": "2027-03-20T13:00:02Z"}},
                   {**ISSUED, "email": {"status": "retry", "at": "2027-03-20T13:00:02Z"}},
                   {**ISSUED, "email": {"status": "unknown", "at": "2027-03-20T13:00:02Z"}}):
        kinds = {e["type"] for e in implied_events(record)} - {"receipt_issued"}
        assert not kinds & {"receipt_emailed", "receipt_email_failed"}, record
    assert [e["type"] for e in implied_events(ALLOCATED)] == []


def test_an_old_record_keeps_its_event_rows_and_gets_no_double() -> None:
    rows = [{"type": "receipt_issued", "at": "2027-03-20T10:00:02-03:00", "detail": {"folio": FOLIO, "key": KEY}},
            {"type": "receipt_emailed", "at": "2027-03-20T10:00:03-03:00", "detail": {"message_id": "m-0"}}]
    old = {**OLD_ISSUED, "email": {"status": "sent", "message_id": "m-0", "at": "2027-03-20T13:00:03Z"}}
    assert [e["type"] for e in history(old, rows)] == ["receipt_issued", "receipt_emailed"]


SENT = {**ISSUED, "payer": {"email": "ana@ciudadano.demo"},
        "email": {"status": "sent", "message_id": "m-2", "at": "2027-03-20T13:05:00Z", "attempts": 2}}


def test_a_sent_attempt_is_its_settled_state_beside_the_rows_of_the_others() -> None:
    rows = [{"pk": "p", "sk": "EMAIL#2027-03-20T13:00:00Z#001#a", "at": "2027-03-20T10:00:00-03:00", "attempt": 1,
             "to": "ana@ciudadano.demo", "kind": "receipt", "outcome": "retry", "reason_code": "ses_throttled"}]
    assert email_attempts(rows, SENT) == [
        {"at": "2027-03-20T10:00:00-03:00", "attempt": 1, "to": "ana@ciudadano.demo", "kind": "receipt",
         "outcome": "retry", "reason_code": "ses_throttled"},
        {"at": "2027-03-20T13:05:00Z", "attempt": 2, "to": "ana@ciudadano.demo", "kind": "receipt", "folio": FOLIO,
         "outcome": "sent", "message_id": "m-2"}]
    assert implied_email_attempt({**SENT, "email": {**SENT["email"], "status": "retry"}}) is None


def test_a_row_of_the_attempt_before_it_was_settled_gives_way_and_a_sent_row_stands() -> None:
    unknown = {"sk": "EMAIL#x#002#a", "attempt": 2, "outcome": "unknown", "at": "2027-03-20T10:05:00-03:00"}
    assert [(a["attempt"], a["outcome"]) for a in email_attempts([unknown], SENT)] == [(2, "sent")]
    old_sent = {"sk": "EMAIL#x#002#a", "attempt": 2, "outcome": "sent", "at": "2027-03-20T10:05:01-03:00",
                "message_id": "m-2"}
    kept_again = {"sk": "EMAIL#2027-03-20T13:05:00Z#002#sent", "attempt": 2, "outcome": "sent",
                  "at": "2027-03-20T13:05:00Z", "message_id": "m-2"}
    assert email_attempts([old_sent, kept_again], SENT) == [{k: v for k, v in old_sent.items() if k != "sk"}]
