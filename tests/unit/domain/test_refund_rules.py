"""The refund rules (domain/refunds.py): what may be refunded, the amount, and what a TGR refund
notification does — pure, no AWS."""

from __future__ import annotations

import pytest

from chalicelib.domain import refunds as rules
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.payments import went_through_paid
from chalicelib.domain.refunds import RefundStatus


def payment(status="paid", amounts=(10_000, 4_000), **extra):
    return {"status": status, "amount": sum(amounts), "items": [{"amount": a} for a in amounts], **extra}


def test_a_whole_refund_returns_what_is_left():
    plan = rules.plan_refund(payment(), None)
    assert (plan.amount, plan.items, plan.whole) == (14_000, (0, 1), True)
    plan = rules.plan_refund(payment("partially_refunded", refunded_amount=4_000, refunded_items=[1]), None)
    assert (plan.amount, plan.items, plan.whole) == (10_000, (0,), True)


def test_a_refund_by_item_and_its_guards():
    plan = rules.plan_refund(payment(), [1], 4_000)
    assert (plan.amount, plan.items, plan.whole) == (4_000, (1,), False)
    with pytest.raises(InvalidInput, match="no coincide"):
        rules.plan_refund(payment(), [1], 4_001)
    with pytest.raises(InvalidInput):
        rules.plan_refund(payment(), [2])
    with pytest.raises(InvalidInput):
        rules.plan_refund(payment(), [1, 1])
    with pytest.raises(InvalidInput):
        rules.plan_refund(payment(), [])
    with pytest.raises(Conflict, match="ya fue devuelto"):
        rules.plan_refund(payment("partially_refunded", refunded_amount=4_000, refunded_items=[1]), [1])


def test_a_review_payment_returns_what_tgr_collected_never_more():
    collected_less = payment("review", gateway_amount=9_000)
    assert rules.plan_refund(collected_less, None).amount == 9_000
    with pytest.raises(Conflict) as refused:
        rules.plan_refund(collected_less, [0])  # 10.000 of an item, 9.000 collected
    assert refused.value.code == "refund_exceeds_paid"


@pytest.mark.parametrize(("status", "code"), [("pending", "payment_not_refundable"),
                                              ("rejected", "payment_not_refundable"),
                                              ("expired", "payment_not_refundable"),
                                              ("refunded", "already_refunded"), ("reversed", "already_refunded"),
                                              ("refund_pending", "refund_in_progress")])
def test_payments_that_cannot_be_refunded(status, code):
    with pytest.raises(Conflict) as refused:
        rules.plan_refund(payment(status), None)
    assert refused.value.code == code


def test_reasons_come_from_the_list_and_other_needs_a_description():
    rules.check_reason("double_payment", "")
    with pytest.raises(InvalidInput):
        rules.check_reason("because", "x")
    with pytest.raises(InvalidInput):
        rules.check_reason("other", "  ")


@pytest.mark.parametrize(("current", "notified", "outcome", "new"), [
    (RefundStatus.AUTHORIZED, "completed", "applied", RefundStatus.COMPLETED),
    (RefundStatus.ACCEPTED, "completed", "applied", RefundStatus.COMPLETED),
    (RefundStatus.ACCEPTED, "failed", "applied", RefundStatus.FAILED),
    (RefundStatus.COMPLETED, "completed", "duplicate", None),
    (RefundStatus.FAILED, "failed", "duplicate", None),
    (RefundStatus.COMPLETED, "failed", "ignored", None),
    (RefundStatus.FAILED, "completed", "ignored", None),
    (RefundStatus.PROPOSED, "completed", "ignored", None),
    (RefundStatus.CANCELLED, "completed", "ignored", None),
])
def test_what_a_refund_notification_does(current, notified, outcome, new):
    decision = rules.decide_refund_result(current, notified)
    assert (decision.outcome, decision.new_status) == (outcome, new)


def test_the_payment_state_after_a_completed_refund():
    assert rules.payment_status_after(payment(), 14_000) == "refunded"
    assert rules.payment_status_after(payment(), 4_000) == "partially_refunded"
    assert rules.payment_status_after(payment(refunded_amount=4_000), 10_000) == "refunded"


def test_refund_ids_sort_by_time_and_are_checked():
    first, later = rules.new_refund_id(1_000, bytes(10)), rules.new_refund_id(2_000, bytes(10))
    assert first < later
    assert rules.check_refund_id(first) == first
    with pytest.raises(InvalidInput):
        rules.check_refund_id("RF-../x")


def test_a_payment_refunded_later_still_went_through_paid_but_one_from_review_did_not():
    assert went_through_paid({"status": "paid"})
    assert went_through_paid({"status": "refunded", "receipt_job": "queued"})
    assert not went_through_paid({"status": "refunded"})  # resolved from review: never counted as paid
    assert not went_through_paid({"status": "review"})
