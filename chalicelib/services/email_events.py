"""What SES tells about each receipt e-mail after accepting it, and what officials see of it.

SES publishes an event per message and happening (send, delivery, bounce, complaint, reject,
delivery delay) through the configuration set's event destination to an SNS topic; the topic's
SQS subscription feeds the events worker (chalicelib/worker/email_events.py), which calls
`accept_notification` and `record_event`. Only a notification of the platform's own topic is
accepted: the queue's policy lets only that topic send to it, and the worker checks the envelope's
`TopicArn` too (docs/email-events.md says why that, rather than checking SNS's signature).

The message tags the mailer set (`municipality`, `payment`, `folio`, `attempt`) say which receipt
an event is about; the record is conditional on that municipality's payment holding that folio.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.errors import InvalidInput

EVENT_TYPES = {"Send": "send", "Delivery": "delivery", "Bounce": "bounce", "Complaint": "complaint",
               "Reject": "reject", "DeliveryDelay": "delivery_delay"}
TAGS = ("municipality", "payment", "folio", "attempt")
ACCEPTED_TYPES = ("send", "delivery", "bounce", "complaint", "delivery_delay")
"""Events that prove SES accepted the message for sending (a reject proves it did not send)."""


class EventsRepo(Protocol):
    def record(self, code: str, payment_id: str, folio: str, event: Mapping[str, Any]) -> str: ...


class RefusedNotification(InvalidInput):
    """A message that is not an SES event of the platform's topic, or not about a receipt."""


def accept_notification(body: str, topic_arn: str) -> dict[str, Any]:
    """The SES event inside an SNS notification from the topic `topic_arn`; `RefusedNotification`
    for anything else (malformed, another topic, a subscription confirmation, no receipt tags)."""
    try:
        envelope = json.loads(body)
        if not isinstance(envelope, dict):
            raise ValueError("not an object")
        if envelope.get("Type") != "Notification":
            raise RefusedNotification("Not an SNS notification.", code="not_a_notification")
        if not topic_arn or envelope.get("TopicArn") != topic_arn:
            raise RefusedNotification("Notification from another topic.", code="foreign_topic")
        event = json.loads(str(envelope["Message"]))
        if not isinstance(event, dict):
            raise ValueError("not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise RefusedNotification("Malformed notification.", code="malformed_notification") from exc
    return normalize(event)


def normalize(event: Mapping[str, Any]) -> dict[str, Any]:
    """SES's event (eventType, mail, and the type's own object) as one flat record."""
    kind = EVENT_TYPES.get(str(event.get("eventType") or event.get("notificationType") or ""))
    mail = event.get("mail")
    if kind is None or not isinstance(mail, dict):
        raise RefusedNotification("Not an SES event this platform tracks.", code="unknown_event")
    given = mail.get("tags")
    raw_tags: Mapping[str, Any] = given if isinstance(given, dict) else {}
    tags = {name: _first(raw_tags.get(name)) for name in TAGS}
    if not all(tags.values()):
        raise RefusedNotification("SES event without the receipt's tags.", code="untagged_event")
    found = event.get(_DETAIL[kind])
    detail: Mapping[str, Any] = found if isinstance(found, dict) else {}
    at = str(detail.get("timestamp") or mail.get("timestamp") or "")
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RefusedNotification("SES event without a valid time.", code="malformed_notification") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    record: dict[str, Any] = {
        "type": kind, "at": when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "message_id": str(mail.get("messageId") or ""), "attempt_id": tags["attempt"],
        "municipality": tags["municipality"], "payment_id": tags["payment"], "folio": tags["folio"],
    }
    if not record["message_id"]:
        raise RefusedNotification("SES event without a message id.", code="malformed_notification")
    if kind == "bounce":
        record.update(bounce_type=str(detail.get("bounceType") or ""),
                      bounce_subtype=str(detail.get("bounceSubType") or ""),
                      recipient=_recipient(detail.get("bouncedRecipients")))
    elif kind == "complaint":
        record.update(recipient=_recipient(detail.get("complainedRecipients")),
                      feedback=str(detail.get("complaintFeedbackType") or ""))
    elif kind == "reject":
        record["reason"] = str(detail.get("reason") or "")[:200]
    elif kind == "delivery_delay":
        record["delay_type"] = str(detail.get("delayType") or "")
    return record


_DETAIL = {"send": "send", "delivery": "delivery", "bounce": "bounce", "complaint": "complaint", "reject": "reject",
           "delivery_delay": "deliveryDelay"}


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def _recipient(recipients: Any) -> str:
    if isinstance(recipients, list) and recipients and isinstance(recipients[0], dict):
        return str(recipients[0].get("emailAddress") or "")
    return ""


def record_event(event: Mapping[str, Any], repo: EventsRepo) -> str:
    """Record a normalized event against its receipt; returns what happened."""
    from chalicelib.domain.municipality_codes import tenant

    try:
        code = tenant(str(event["municipality"]))
    except ValueError as exc:
        raise RefusedNotification("SES event for no municipality.", code="untagged_event") from exc
    return repo.record(code, str(event["payment_id"]), str(event["folio"]), event)


# -- what officials and citizens see ----------------------------------------------------------------

STATUS_ORDER = ("complained", "bounced", "rejected", "delivered", "delayed", "sent")


def attempt_status(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One attempt's state from its events, whatever order they came in: the most telling kind
    wins (a complaint over a delivery, a hard bounce over a delay), with the first date of each."""
    dates: dict[str, str] = {}
    for event in events:
        kind = str(event.get("type"))
        if kind == "bounce" and event.get("bounce_type") != "Permanent":
            kind = "delivery_delay"  # a soft bounce: SES keeps trying
        name = {"send": "sent", "delivery": "delivered", "bounce": "bounced", "complaint": "complained",
                "reject": "rejected", "delivery_delay": "delayed"}.get(kind)
        if name:
            at = str(event.get("at"))
            dates[name] = min(dates.get(name, at), at)
    status = next((s for s in STATUS_ORDER if s in dates), "unknown")
    return {"status": status, "dates": dates}


def delivery_of(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A payment's e-mail attempts as SES saw them (newest last): attempt id, message id, status,
    dates by kind, and the recipient SES named for a bounce or a complaint."""
    by_attempt: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_attempt.setdefault(str(row.get("attempt_id")), []).append(row)
    attempts = []
    for attempt, events in by_attempt.items():
        summary = attempt_status(events)
        first = min(str(e.get("at")) for e in events)
        attempts.append({"attempt_id": attempt, "message_id": str(events[0].get("message_id")), "first_at": first,
                         **summary})
    return sorted(attempts, key=lambda a: a["first_at"])


# -- the delivery page and sending health ------------------------------------------------------------

class DayLog(Protocol):
    def of_day(self, code: str, day: str) -> Iterable[Mapping[str, Any]]: ...


WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
BOUNCE_ALARM, COMPLAINT_ALARM = 0.02, 0.0005
"""Where the platform warns (infra/resources.yaml alarms, the console): well before SES reviews an
account (5 % bounces, 0.1 % complaints)."""


def recent_events(code: str, log: DayLog, now: datetime, *, days: int = 7) -> list[Mapping[str, Any]]:
    """A municipality's SES events of the last `days` days (UTC day partitions), oldest first."""
    since = _key(now - timedelta(days=days))
    found: list[Mapping[str, Any]] = []
    for back in range(days, -1, -1):
        day = (now - timedelta(days=back)).astimezone(UTC).strftime("%Y-%m-%d")
        found += [e for e in log.of_day(code, day) if str(e.get("at")) >= since]
    return found


def rates(events: Iterable[Mapping[str, Any]], since: str) -> dict[str, Any]:
    """Counts and rates as SES computes its reputation: hard bounces and complaints over sends."""
    counts = {"sent": 0, "delivered": 0, "bounced": 0, "complained": 0, "delayed": 0, "rejected": 0}
    for event in events:
        if str(event.get("at")) < since:
            continue
        kind = str(event.get("type"))
        if kind == "bounce" and event.get("bounce_type") != "Permanent":
            continue
        name = {"send": "sent", "delivery": "delivered", "bounce": "bounced", "complaint": "complained",
                "delivery_delay": "delayed", "reject": "rejected"}.get(kind)
        if name:
            counts[name] += 1
    sent = counts["sent"]
    bounce_rate = counts["bounced"] / sent if sent else 0.0
    complaint_rate = counts["complained"] / sent if sent else 0.0
    return {**counts, "bounce_rate": round(bounce_rate, 5), "complaint_rate": round(complaint_rate, 6),
            "warning": bounce_rate >= BOUNCE_ALARM or complaint_rate >= COMPLAINT_ALARM}


def health(events: list[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    return {name: rates(events, _key(now - span)) for name, span in WINDOWS.items()}


def delivery_page(code: str, log: DayLog, now: datetime, *, limit: int = 200) -> dict[str, Any]:
    """What a municipality's delivery page shows: sending health over 24 h and 7 days, and each
    receipt e-mail of the last 7 days with its state and dates (newest first, at most `limit`)."""
    events = recent_events(code, log, now)
    by_message: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        by_message.setdefault(str(event.get("message_id")), []).append(event)
    rows = []
    for message_id, mine in by_message.items():
        first = mine[0]
        rows.append({"payment_id": first.get("payment_id"), "folio": first.get("folio"), "message_id": message_id,
                     "first_at": min(str(e.get("at")) for e in mine), **attempt_status(mine)})
    rows.sort(key=lambda r: r["first_at"], reverse=True)
    return {"municipality": code, "health": health(events, now), "emails": rows[:limit],
            "thresholds": {"bounce_rate": BOUNCE_ALARM, "complaint_rate": COMPLAINT_ALARM}}


def platform_health(codes: Iterable[str], log: DayLog, now: datetime) -> dict[str, Any]:
    """Sending health per municipality and for the platform (SES's reputation is the account's)."""
    every: list[Mapping[str, Any]] = []
    rows = []
    for code in codes:
        events = recent_events(code, log, now)
        every += events
        rows.append({"municipality": code, **health(events, now)})
    return {"platform": health(every, now), "municipalities": rows,
            "thresholds": {"bounce_rate": BOUNCE_ALARM, "complaint_rate": COMPLAINT_ALARM}}


def _key(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
