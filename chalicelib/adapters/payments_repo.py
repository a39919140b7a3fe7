"""Payments, their items, events and holds in DynamoDB. Every state change is one transaction,
conditional on the state it leaves, that writes the event which caused it beside it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable, set_remove_expression
from chalicelib.domain.errors import ConditionFailed, Conflict
from chalicelib.domain.payments import utc_key

HoldRef = tuple[str, str]  # (owner code, item key)

_event_seq = itertools.count()


def event_row(code: str, payment_id: str, at: str, kind: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    """One entry of a payment's history."""
    return {"pk": keys.payment(code, payment_id), "sk": f"EVENT#{utc_key(at)}#{next(_event_seq) % 1000:03d}",
            "type": kind, "at": at, "detail": dict(detail)}


class PaymentRepository:
    """Reads and conditional writes of payments and item holds."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- reads ---------------------------------------------------------------------------------

    def get(self, code: str, payment_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.payment(code, payment_id), "META", consistent=True)

    def items(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(keys.payment(code, payment_id), sk_prefix="ITEM#", consistent=True))

    def events(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(keys.payment(code, payment_id), sk_prefix="EVENT#", consistent=True))

    def hold(self, ref: HoldRef) -> dict[str, Any] | None:
        return self._table.get(keys.hold(*ref), "HOLD", consistent=True)

    def due_pending(self, code: str, now_iso: str, limit: int = 100) -> list[str]:
        """Ids of the municipality's pending payments whose expiry time has passed."""
        page = self._table.query(keys.pending(code), index="GSI3", sk_between=("0", now_iso), limit=limit)
        return [_payment_id_of(i) for i in page.items]

    def unqueued_receipts(self, code: str, before_iso: str, limit: int = 100) -> list[str]:
        """Ids of paid payments whose receipt job was not confirmed queued, or whose receipt is
        still unfinished at its recheck time, before `before_iso`."""
        page = self._table.query(keys.outbox(code), index="GSI3", sk_between=("0", before_iso), limit=limit)
        return [_payment_id_of(i) for i in page.items]

    # -- writes --------------------------------------------------------------------------------

    def create(self, meta: dict[str, Any], item_rows: Sequence[dict[str, Any]], holds: Sequence[HoldRef],
               event: dict[str, Any], *, now_iso: str, hold_expires_at: str,
               extra: Sequence[Mapping[str, Any]] = ()) -> None:
        """Create a pending payment and take every hold, atomically. A hold is free when it does
        not exist, was released, or belongs to a pending payment past its expiry.
        `Conflict(field="items[i]")` names the first item that is already paid or held."""
        code, payment_id = meta["municipality"], meta["payment_id"]
        operations: list[Mapping[str, Any]] = []
        for owner, item_key in holds:
            operations.append({
                "put": {"pk": keys.hold(owner, item_key), "sk": "HOLD", "item": item_key, "status": "pending",
                        "payment_id": payment_id, "municipality": code, "expires_at": hold_expires_at,
                        "updated_at": now_iso},
                "condition": "attribute_not_exists(pk) OR #s IN (:released, :annulled) "
                             "OR (#s = :pending AND expires_at < :now)",
                "names": {"#s": "status"},
                "values": {":released": "released", ":annulled": "annulled", ":pending": "pending",
                           ":now": now_iso},
            })
        operations.append({"put": meta, "condition": "attribute_not_exists(pk)"})
        operations += [{"put": row, "condition": "attribute_not_exists(pk)"} for row in item_rows]
        operations.append({"put": event})
        operations.extend(extra)
        try:
            self._table.transact(operations)
        except ConditionFailed as exc:
            index = next((i for i, r in enumerate(exc.reasons) if r == "ConditionalCheckFailed"), None)
            item_index = meta_item_index(meta, holds, index)
            raise Conflict("Uno de los ítems ya está pagado o tiene un pago en curso.", code="item_unavailable",
                           field=f"items[{item_index}]" if item_index is not None else "items") from exc

    def transition(self, code: str, payment_id: str, *, from_status: str, to_status: str,
                   set_fields: Mapping[str, Any], remove_fields: Sequence[str] = (),
                   event: dict[str, Any], holds: Sequence[HoldRef] = (), hold_status: str | None = None,
                   extra: Sequence[Mapping[str, Any]] = ()) -> None:
        """Move a payment from `from_status` to `to_status` (ConditionFailed if it is not there any
        more), with the event, the holds' new status, and any extra operations, in one transaction."""
        expression, names, values = set_remove_expression(set_fields, remove_fields, leading=["#s = :to"])
        names["#s"] = "status"
        values.update({":from": from_status, ":to": to_status})
        operations: list[Mapping[str, Any]] = [{
            "update": (keys.payment(code, payment_id), "META"), "expression": expression,
            "condition": "#s = :from", "names": names, "values": values,
        }]
        if hold_status is not None:
            for owner, item_key in holds:
                operations.append({
                    "update": (keys.hold(owner, item_key), "HOLD"),
                    "expression": "SET #s = :hs, updated_at = :at",
                    "condition": "payment_id = :pid",
                    "names": {"#s": "status"},
                    "values": {":hs": hold_status, ":at": event["at"], ":pid": payment_id},
                })
        operations.append({"put": event})
        operations.extend(extra)
        self._table.transact(operations)

    def reopen_email(self, code: str, payment_id: str, *, requested_by: str, at: str,
                     event: dict[str, Any], new_email: str | None = None) -> bool:
        """Ask the receipts worker to send the receipt's e-mail again: the settled e-mail step
        (sent or failed) goes back to `retry`; with `new_email`, to that corrected address (the
        hard-bounce mark of the old one is removed). False when it is not settled (a send is under
        way or was never tried): then there is nothing to reopen."""
        expression = "SET #e.#st = :retry, #e.resend_requested_by = :who, #e.resend_requested_at = :at"
        values: dict[str, Any] = {":retry": "retry", ":who": requested_by, ":at": at, ":sent": "sent",
                                  ":failed": "failed"}
        names = {"#e": "email", "#st": "status"}
        if new_email:
            expression += ", #p.#m = :address REMOVE email_bounce"
            names.update({"#p": "payer", "#m": "email"})
            values[":address"] = new_email
        try:
            self._table.transact([
                {"update": (keys.payment(code, payment_id), "META"), "expression": expression,
                 "condition": "#e.#st IN (:sent, :failed)", "names": names, "values": values},
                {"put": event},
            ])
        except ConditionFailed:
            return False
        return True

    def update_fields(self, code: str, payment_id: str, *, set_fields: Mapping[str, Any],
                      remove_fields: Sequence[str] = (), condition: str | None = None,
                      values: Mapping[str, Any] | None = None, event: dict[str, Any] | None = None) -> None:
        """Change fields that are not the status (order id, receipt job state), conditionally."""
        expression, names, vals = set_remove_expression(set_fields, remove_fields)
        vals.update(values or {})
        if condition and "#s" in condition:
            names["#s"] = "status"
        operation: dict[str, Any] = {"update": (keys.payment(code, payment_id), "META"), "expression": expression,
                                     "names": names, "values": vals}
        if condition:
            operation["condition"] = condition
        self._table.transact([operation] + ([{"put": event}] if event else []))


def _payment_id_of(index_item: Mapping[str, Any]) -> str:
    """GSI3 projects keys only: the id is the last part of the payment's partition key."""
    return str(index_item["pk"]).rsplit("#", 1)[-1]


def meta_item_index(meta: Mapping[str, Any], holds: Sequence[HoldRef], failed: int | None) -> int | None:
    """Which cart item a failed hold (by transaction position) belongs to."""
    if failed is None or failed >= len(holds):
        return None
    item_key = holds[failed][1]
    for i, item in enumerate(meta.get("items", [])):
        if item_key in item.get("holds", []):
            return i
    return None
