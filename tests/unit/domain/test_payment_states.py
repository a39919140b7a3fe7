"""The payment state machine's answer to every (state, notification) pair: what the chaos run's
duplicate, late, out-of-order and wrong-amount notifications rely on (docs/reliability.md)."""

from __future__ import annotations

import pytest

from chalicelib.domain.payments import NotifiedStatus, PaymentStatus, decide_notification

A, R = NotifiedStatus.APPROVED, NotifiedStatus.REJECTED
P = PaymentStatus

TABLE = [
    # current, notified, amount matches, outcome, new status
    (P.PENDING, A, True, "applied", P.PAID),
    (P.PENDING, A, False, "applied", P.REVIEW),
    (P.PENDING, R, True, "applied", P.REJECTED),
    (P.PENDING, R, False, "applied", P.REJECTED),
    (P.PAID, A, True, "duplicate", None),
    (P.PAID, A, False, "duplicate", None),
    (P.PAID, R, True, "ignored", None),
    (P.REJECTED, R, True, "duplicate", None),
    (P.REJECTED, A, True, "applied", P.REVIEW),
    (P.EXPIRED, A, True, "applied", P.REVIEW),
    (P.EXPIRED, R, True, "ignored", None),
    (P.CANCELLED, A, True, "applied", P.REVIEW),
    (P.CANCELLED, R, True, "ignored", None),
    (P.REVIEW, A, True, "ignored", None),
    (P.REVIEW, R, True, "ignored", None),
    # Money back (docs/refunds.md): a late payment notification never revives a refunded payment.
    *[(state, notified, True, "ignored", None) for state in (P.REFUND_PENDING, P.REFUNDED, P.PARTIALLY_REFUNDED,
                                                              P.REFUND_FAILED, P.REVERSED) for notified in (A, R)],
]


@pytest.mark.parametrize(("current", "notified", "matches", "outcome", "new_status"), TABLE)
def test_each_notification_moves_a_payment_at_most_once(current, notified, matches, outcome, new_status):
    decision = decide_notification(current, notified, amount_matches=matches)
    assert (decision.outcome, decision.new_status) == (outcome, new_status)
    assert decision.reason


@pytest.mark.parametrize("first", [A, R])
@pytest.mark.parametrize("matches", [True, False])
def test_a_repeat_of_the_deciding_notification_never_moves_the_payment_again(first, matches):
    after = decide_notification(P.PENDING, first, amount_matches=matches).new_status
    assert after is not None
    again = decide_notification(after, first, amount_matches=matches)
    assert again.new_status is None


def test_money_is_never_marked_paid_except_from_pending_with_the_right_amount():
    paid = [(current, notified, matches) for current in P for notified in NotifiedStatus for matches in (True, False)
            if decide_notification(current, notified, amount_matches=matches).new_status is P.PAID]
    assert paid == [(P.PENDING, A, True)]
