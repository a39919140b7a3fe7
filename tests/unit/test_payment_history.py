"""The payment's history: steps folded into the record come back as events, beside the rows."""

from chalicelib.domain.payment_history import history, implied_events

RECORD = {"created_at": "2027-03-20T10:00:00-03:00", "amount": 174448, "items": [{"type": "permit"}]}


def test_a_new_record_implies_its_created_event() -> None:
    assert implied_events(RECORD) == [{"type": "created", "at": "2027-03-20T10:00:00-03:00",
                                       "detail": {"amount": 174448, "items": 1}}]
    assert implied_events({}) == []


def test_the_order_recorded_on_the_record_implies_its_event_and_an_order_id_alone_does_not() -> None:
    ordered = {**RECORD, "order_id": "TGR-7", "order_at": "2027-03-20T10:00:02-03:00"}
    assert implied_events(ordered)[1:] == [{"type": "gateway_order_created", "at": "2027-03-20T10:00:02-03:00",
                                            "detail": {"order_id": "TGR-7"}}]
    assert [e["type"] for e in implied_events({**RECORD, "order_id": "TGR-7"})] == ["created"]


def test_rows_and_implied_events_share_one_time_line_across_offsets() -> None:
    rows = [{"type": "review", "at": "2027-03-20T13:30:00Z", "detail": {"reason": "x"}},  # 10:30 in Chile
            {"type": "cancelled", "at": "2027-03-20T10:15:00-03:00", "detail": {}}]
    events = history(RECORD, rows)
    assert [e["type"] for e in events] == ["created", "cancelled", "review"]


def test_a_stored_row_of_the_same_kind_wins_over_the_implied_one() -> None:
    rows = [{"type": "created", "at": "2027-03-20T10:00:00-03:00", "detail": {"amount": 1, "items": 9}}]
    assert history(RECORD, rows) == [{"type": "created", "at": "2027-03-20T10:00:00-03:00",
                                      "detail": {"amount": 1, "items": 9}}]


def test_a_missing_record_leaves_the_rows_alone() -> None:
    assert history(None, []) == []
