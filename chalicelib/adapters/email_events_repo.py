"""SES's e-mail events in DynamoDB: recorded against the receipt's payment, once each.

An event (send, delivery, bounce, complaint, reject, delivery delay) is written in one transaction:

- a check that the payment exists in the municipality the message was tagged with and holds the
  tagged receipt folio (`receipt_issue.folio`): an event naming another municipality's payment, or
  a payment and folio that do not belong together, changes nothing;
- the event row `EMAILEVT#<attempt>#<type>#<time>#<message id>` beside the payment, only if new
  (SNS and SQS deliver at least once: a repeat is a no-op);
- the same event in the municipality's day log `<cut>#MAILEVT#<day>` (the delivery page and the
  sending-health rates), only if new;
- for a hard bounce or a complaint, a mark on the payment (`email_bounce` / `email_complaint`);
  for a complaint, the address's suppression row (`<cut>#SUPPRESS`, sk its SHA-256).

Events are facts with their own time: what a payment's e-mail "is" is derived from the set of
its rows (chalicelib/services/email_events.py), so the order they arrive in does not matter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed

Recorded = Literal["recorded", "duplicate", "no_such_receipt"]


def address_hash(address: str) -> str:
    """What the suppression list keeps of an address (never the address itself)."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


class EmailEventsRepository:
    """The e-mail event rows of payments, the day logs and the suppression list."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def record(self, code: str, payment_id: str, folio: str, event: Mapping[str, Any]) -> Recorded:
        """Record one normalized event (keys: type, at, message_id, attempt_id, and the type's
        details); see the module docstring."""
        kind, at, message_id = str(event["type"]), str(event["at"]), str(event["message_id"])
        attempt = str(event.get("attempt_id") or "-")
        payment_pk = table_keys.payment(code, payment_id)
        marks: dict[str, Any] = {}
        if kind == "bounce" and event.get("bounce_type") == "Permanent":
            marks["email_bounce"] = {"at": at, "attempt_id": attempt, "message_id": message_id,
                                     "subtype": str(event.get("bounce_subtype") or "")}
        if kind == "complaint":
            marks["email_complaint"] = {"at": at, "attempt_id": attempt, "message_id": message_id}
        # A counter rather than a bare condition check: the same IAM actions as every other write.
        names = {f"#m{i}": name for i, name in enumerate(marks)}
        values: dict[str, Any] = {f":m{i}": value for i, value in enumerate(marks.values())}
        expression = "ADD email_event_count :one" + (
            " SET " + ", ".join(f"#m{i} = :m{i}" for i in range(len(marks))) if marks else "")
        first: dict[str, Any] = {"update": (payment_pk, "META"), "expression": expression,
                                 "condition": "receipt_issue.folio = :folio", **({"names": names} if names else {}),
                                 "values": {":folio": folio, ":one": 1, **values}}
        row = {**{k: v for k, v in event.items() if v not in (None, "")}, "payment_id": payment_id,
               "municipality": code, "folio": folio}
        operations: list[dict[str, Any]] = [
            first,
            {"put": {**row, "pk": payment_pk, "sk": f"EMAILEVT#{attempt}#{kind}#{at}#{message_id}"},
             "condition": "attribute_not_exists(pk)"},
            {"put": {**{k: v for k, v in row.items() if k != "recipient"},  # the day log holds no address
                     "pk": table_keys.email_events(code, at[:10]), "sk": f"{at}#{payment_id}#{kind}#{message_id}"},
             "condition": "attribute_not_exists(pk)"},
        ]
        recipient = str(event.get("recipient") or "")
        if kind == "complaint" and recipient:
            operations.append({"put": {"pk": table_keys.email_suppression(code), "sk": address_hash(recipient),
                                       "reason": "complaint", "at": at, "payment_id": payment_id}})
        try:
            self._table.transact(operations)
        except ConditionFailed as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                return "no_such_receipt"
            return "duplicate"
        return "recorded"

    def of_payment(self, code: str, payment_id: str, attempt_id: str | None = None) -> list[dict[str, Any]]:
        """The payment's event rows (of one attempt when given), by attempt, type and time."""
        prefix = f"EMAILEVT#{attempt_id}#" if attempt_id else "EMAILEVT#"
        return list(self._table.query_all(table_keys.payment(code, payment_id), sk_prefix=prefix, consistent=True))

    def of_day(self, code: str, day: str) -> Iterator[dict[str, Any]]:
        """A municipality's events of a day `YYYY-MM-DD`, oldest first."""
        return self._table.query_all(table_keys.email_events(code, day))

    def is_suppressed(self, code: str, address: str, *, consistent: bool = True) -> bool:
        """Whether mail to `address` is stopped in the municipality (a complaint)."""
        return self._table.get(table_keys.email_suppression(code), address_hash(address),
                               consistent=consistent) is not None
