"""TGR's approval that made a payment paid is told by the record's own fields (no event row)."""

from chalicelib.domain.payment_history import history, implied_events

PAID = {"created_at": "2027-03-20T10:00:00-03:00", "amount": 174448, "items": [{"type": "permit"}],
        "status": "paid", "paid_at": "2027-03-20T10:05:00-03:00", "method": "debito", "authorization_code": "123456",
        "order_id": "TGR-1", "receipt_job": "pending"}


def test_a_paid_record_implies_the_approval_with_what_the_notification_said() -> None:
    approved = [e for e in implied_events(PAID) if e["type"] == "gateway_approved"]
    assert approved == [{"type": "gateway_approved", "at": "2027-03-20T10:05:00-03:00", "detail": {
        "order_id": "TGR-1", "amount": 174448, "method": "debito",
        "authorization_code": "123456", "paid_at": "2027-03-20T10:05:00-03:00", "decision": "approved by the gateway"}}]
    # A refund later changes the status, not what happened.
    assert [e["type"] for e in history({**PAID, "status": "refunded"}, [])] == ["created", "gateway_approved"]


def test_an_approval_into_review_keeps_its_row_and_implies_nothing_more() -> None:
    review = {**PAID, "status": "review", "receipt_job": None, "review_reason": "amount differs"}
    row = {"type": "gateway_approved", "at": "2027-03-20T10:05:01-03:00", "detail": {"decision": "amount differs"}}
    assert [e["type"] for e in implied_events(review)] == ["created"]
    assert history(review, [row])[-1] == {**row, "detail": {"decision": "amount differs"}}


def test_a_row_written_before_the_step_was_folded_in_wins() -> None:
    row = {"type": "gateway_approved", "at": "2027-03-20T10:05:01-03:00", "detail": {"notification_id": "old"}}
    approvals = [e["detail"] for e in history(PAID, [row]) if e["type"] == "gateway_approved"]
    assert approvals == [{"notification_id": "old"}]
