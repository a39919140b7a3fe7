"""What an e-mail "is" from SES's events, and the sending-health rates: pure functions over event
records, whatever their order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.services.email_events import RefusedNotification, accept_notification, attempt_status, rates

TOPIC = "arn:aws:sns:us-east-1:123456789012:sem-test-ses-events"


def event(kind: str, at: str, **extra: str) -> dict[str, str]:
    return {"type": kind, "at": at, "message_id": "m1", "attempt_id": "a1", **extra}


@pytest.mark.parametrize(("kinds", "status"), [
    (["send"], "sent"),
    (["delivery", "send"], "delivered"),
    (["send", "delivery_delay"], "delayed"),
    (["send", "delivery_delay", "delivery"], "delivered"),
    (["complaint", "delivery", "send"], "complained"),
    (["send", "reject"], "rejected"),
    ([], "unknown"),
])
def test_the_most_telling_event_wins_in_any_order(kinds, status):
    events = [event(k, f"2027-03-20T13:00:0{n}.000Z") for n, k in enumerate(kinds)]
    assert attempt_status(events)["status"] == status
    assert attempt_status(list(reversed(events)))["status"] == status


def test_a_soft_bounce_is_a_delay_and_a_hard_one_a_bounce():
    soft = [event("send", "2027-03-20T13:00:00.000Z"), event("bounce", "2027-03-20T13:00:05.000Z",
                                                             bounce_type="Transient")]
    assert attempt_status(soft)["status"] == "delayed"
    hard = [*soft, event("bounce", "2027-03-20T13:10:00.000Z", bounce_type="Permanent")]
    assert attempt_status(hard) == {"status": "bounced", "dates": {
        "sent": "2027-03-20T13:00:00.000Z", "delayed": "2027-03-20T13:00:05.000Z",
        "bounced": "2027-03-20T13:10:00.000Z"}}


def test_rates_count_hard_bounces_and_complaints_over_sends_in_the_window():
    events = [event("send", f"2027-03-20T12:{n:02d}:00.000Z") for n in range(50)]
    events += [event("bounce", "2027-03-20T12:30:00.000Z", bounce_type="Permanent"),
               event("bounce", "2027-03-20T12:31:00.000Z", bounce_type="Transient"),
               event("send", "2027-03-18T12:00:00.000Z")]  # outside the window
    window = rates(events, "2027-03-19T13:00:00.000Z")
    assert (window["sent"], window["bounced"], window["bounce_rate"]) == (50, 1, 0.02)
    assert window["warning"]  # 2 % is the alarm's threshold
    assert not rates(events[:50], "2027-03-19T13:00:00.000Z")["warning"]
    assert rates([], "2027-03-19T13:00:00.000Z")["bounce_rate"] == 0.0


def test_a_notification_gives_its_event_with_a_utc_time():
    ses = {"eventType": "Delivery", "mail": {"timestamp": "2027-03-20T10:00:00-03:00", "messageId": "m1",
                                             "tags": {"municipality": ["13101"], "payment": ["p"],
                                                      "folio": ["13101-2027-000001"], "attempt": ["a1"]}},
           "delivery": {"timestamp": "2027-03-20T10:00:02-03:00"}}
    body = json.dumps({"Type": "Notification", "TopicArn": TOPIC, "Message": json.dumps(ses)})
    found = accept_notification(body, TOPIC)
    assert found["at"] == "2027-03-20T13:00:02.000Z"
    assert (found["type"], found["municipality"], found["attempt_id"]) == ("delivery", "13101", "a1")
    with pytest.raises(RefusedNotification):
        accept_notification(body, "")  # no topic configured: nothing is accepted
    assert datetime.fromisoformat(found["at"].replace("Z", "+00:00")).tzinfo == UTC
