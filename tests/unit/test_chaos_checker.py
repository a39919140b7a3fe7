"""The chaos run's checker derives what SEM owes a payment from TGR's notifications and SEM's
answers to them (devstack/chaos.py::expected_states)."""

from __future__ import annotations

from devstack.chaos import Plan, expected_states


def plan() -> Plan:
    return Plan(n=0, municipality="13101", scenario="approved_then_rejected", item={}, email="x@y.demo",
                method="credito", amount=1000)


def order(*deliveries: tuple[str, int, int]) -> dict:
    return {"notifications": [{"notification": {"status": status, "amount": amount}, "sem_status": answer}
                              for status, amount, answer in deliveries]}


def test_answered_notifications_go_through_the_state_machine_in_order():
    assert expected_states(plan(), order(("approved", 1000, 200), ("rejected", 1000, 200))) == {"paid"}
    assert expected_states(plan(), order(("approved", 900, 200))) == {"review"}
    assert expected_states(plan(), None) == {"pending"}


def test_a_failed_approval_retried_after_the_rejection_goes_to_review_unless_it_had_been_applied():
    sent = order(("approved", 1000, 500), ("rejected", 1000, 200), ("approved", 1000, 200))
    assert expected_states(plan(), sent) == {"paid", "review"}
    refused = order(("approved", 1000, 409), ("rejected", 1000, 200), ("approved", 1000, 200))
    assert expected_states(plan(), refused) == {"review"}


def test_an_unanswered_notification_may_or_may_not_have_been_applied_and_a_refused_one_was_not():
    assert expected_states(plan(), order(("approved", 1000, 0), ("rejected", 1000, 200))) == {"paid", "rejected"}
    assert expected_states(plan(), order(("approved", 1000, 401))) == {"pending"}
