"""A payment's history: the events its record implies, merged with the event rows kept beside it.

The steps of a payment's ordinary life (created, TGR's order, paid, receipt issued, e-mail settled)
are written as fields of the payment record itself, in the same conditional write that makes the
step: an event row beside the record would only repeat those fields, and inside a transaction it
doubles the units of a write that moves no money (docs/data-model.md). `implied_events` reads them
back as events. The rows kept under `EVENT#…` are the events that carry what the record does not
(a review, a cancellation, a refund, a correction…) and the events of records written before the
steps were folded into the record; `history` puts both in one time line, an implied event giving
way to a stored row of the same kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.receipt_state import receipt_pdf_key

Event = dict[str, Any]
"""`{"type", "at" (ISO time with offset), "detail"}`: what officials see of a step."""


def _created(record: Mapping[str, Any]) -> Event | None:
    if not record.get("created_at"):
        return None
    return {"type": "created", "at": record["created_at"],
            "detail": {"amount": record.get("amount"), "items": len(record.get("items") or [])}}


def _order_created(record: Mapping[str, Any]) -> Event | None:
    if not record.get("order_at"):  # `order_id` alone may come with `paid`, not from the order's step
        return None
    return {"type": "gateway_order_created", "at": record["order_at"], "detail": {"order_id": record.get("order_id")}}


def _paid(record: Mapping[str, Any]) -> Event | None:
    # TGR's approval that made the payment paid: `receipt_job` is written only by that step
    # (`PaymentRepository.mark_paid`), with what the notification said; an approval into review
    # has none (it keeps its event row).
    if not record.get("receipt_job") or not record.get("paid_at"):
        return None
    said = ("order_id", "amount", "method", "authorization_code", "paid_at")
    return {"type": "gateway_approved", "at": record["paid_at"],
            "detail": {**{name: record.get(name) for name in said}, "decision": "approved by the gateway"}}


def _receipt_issued(record: Mapping[str, Any]) -> Event | None:
    issue = record.get("receipt_issue")
    if not isinstance(issue, Mapping) or not issue.get("signed_at") or not issue.get("folio"):
        return None
    return {"type": "receipt_issued", "at": issue["signed_at"],
            "detail": {"folio": issue["folio"], "key": issue.get("key") or receipt_pdf_key(str(issue["folio"]))}}


def _receipt_email_settled(record: Mapping[str, Any]) -> Event | None:
    email = record.get("email")
    if not isinstance(email, Mapping) or not email.get("at"):
        return None
    by = {"confirmed_by": email["confirmed_by"]} if email.get("confirmed_by") else {}
    if email.get("status") == "sent":
        return {"type": "receipt_emailed", "at": email["at"], "detail": {"message_id": email.get("message_id"), **by}}
    if email.get("status") == "failed":
        return {"type": "receipt_email_failed", "at": email["at"], "detail": {"reason": email.get("reason_code"), **by}}
    return None


IMPLIED: list[Callable[[Mapping[str, Any]], Event | None]] = [
    _created,
    _order_created,
    _paid,
    _receipt_issued,
    _receipt_email_settled,
]
"""One function per step folded into the record: the event it implies, or None before it happened."""


def implied_events(record: Mapping[str, Any]) -> list[Event]:
    """The events the payment record's own fields say happened."""
    return [event for derive in IMPLIED if (event := derive(record)) is not None]


def history(record: Mapping[str, Any] | None, rows: Iterable[Mapping[str, Any]]) -> list[Event]:
    """The payment's events in time order: its stored event rows, and the events its record implies
    of a kind no row records (a row written by older code keeps its own detail)."""
    stored = [{"type": r.get("type"), "at": r.get("at"), "detail": dict(r.get("detail") or {})} for r in rows]
    kinds = {e["type"] for e in stored}
    implied = [e for e in implied_events(record or {}) if e["type"] not in kinds]
    return sorted([*implied, *stored], key=_moment)  # stable: on a tie, the record's own steps first


def _moment(event: Mapping[str, Any]) -> datetime:
    text = str(event.get("at") or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _EARLIEST
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
