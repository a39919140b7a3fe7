"""Refunds and reversals in DynamoDB. A refund is the row `REFUND#<id>` in its payment's partition
(listed per municipality through GSI1 `<cut>#REFUNDS`); a reversal is `REVERSAL#<id>` beside it.

Every step is one transaction conditional on the state it leaves, with its payment event and its
audit entry: proposing takes the payment's `refund_open` mark (one open refund per payment, so two
officials refunding at once cannot both succeed), authorizing moves the payment to
`refund_pending`, closing (TGR's notification) moves it on and — for the money that came back —
annuls the items' holds and the receipt, reopens the debts, and books the refund in the day's
counters as its own line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters import hold_items, table_keys
from chalicelib.adapters.dynamo import DynamoTable, Page, set_remove_expression
from chalicelib.adapters.payments_repo import HoldRef
from chalicelib.adapters.stats_repo import StatsRepository

REFUND_LINE = "refund"
"""The method part of the counters' sort key under which refunds and reversals are booked."""


@dataclass(frozen=True)
class Annulment:
    """What the money that came back undoes, written in the same transaction as the step."""

    at: str
    reason: str
    holds: Sequence[HoldRef] = ()
    debts: Sequence[str] = ()
    receipt_folio: str | None = None
    day: str = ""
    by_service: Mapping[str, int] = field(default_factory=dict)
    """Amount returned per service, booked negative on `day`'s counters."""
    second_installments: Sequence[str] = ()
    """Second-installment debts the returned first installments created, still unpaid: removed
    (without its first installment the permit has no second one to pay)."""


class RefundRepository:
    """Reads and conditional writes of refunds and reversals."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- reads ---------------------------------------------------------------------------------

    def get(self, code: str, payment_id: str, refund_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.payment(code, payment_id), f"REFUND#{refund_id}", consistent=True)

    def of_payment(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="REFUND#", consistent=True))

    def reversals_of(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="REVERSAL#", consistent=True))

    def reversal(self, code: str, payment_id: str, reversal_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.payment(code, payment_id), f"REVERSAL#{reversal_id}", consistent=True)

    def open_alerts(self, code: str, *, limit: int) -> list[dict[str, Any]]:
        """The municipality's reversals not yet acknowledged, newest first (read in full: the
        index may carry only their keys)."""
        page = self._table.query(table_keys.alerts(code), index="GSI2", newest_first=True, limit=limit)
        rows = (self._table.get(str(item["pk"]), str(item["sk"]), consistent=True) for item in page.items)
        return [row for row in rows if row is not None and row.get("gsi2pk") == table_keys.alerts(code)]

    def acknowledge(self, code: str, payment_id: str, reversal_id: str, *, fields: Mapping[str, Any],
                    event: dict[str, Any], audit: dict[str, Any]) -> None:
        """An official saw the reversal: its fields set and its alert gone (ConditionFailed when
        it was acknowledged already, or does not exist)."""
        expression, names, values = set_remove_expression(fields, ("gsi2pk", "gsi2sk"))
        names["#alert"] = "gsi2pk"
        values[":alerts"] = table_keys.alerts(code)
        self._table.transact([
            {"update": (table_keys.payment(code, payment_id), f"REVERSAL#{reversal_id}"), "expression": expression,
             "condition": "#alert = :alerts", "names": names, "values": values},
            {"put": event}, {"put": audit, "condition": "attribute_not_exists(pk)"},
        ])

    def listing(self, code: str, *, limit: int, cursor: str | None) -> Page:
        """The municipality's refunds and reversals, newest first."""
        return self._table.query(table_keys.refunds(code), index="GSI1", newest_first=True, limit=limit, cursor=cursor)

    def created_between(self, code: str, low_utc: str, high_utc: str) -> list[dict[str, Any]]:
        """The municipality's refunds and reversals created between two UTC keys (reconciliation)."""
        return list(self._table.query_all(table_keys.refunds(code), index="GSI1", sk_between=(low_utc, high_utc + "~")))

    # -- rows ----------------------------------------------------------------------------------

    @staticmethod
    def refund_row(code: str, payment_id: str, refund_id: str, created_utc: str, data: Mapping[str, Any]
                   ) -> dict[str, Any]:
        return {"pk": table_keys.payment(code, payment_id), "sk": f"REFUND#{refund_id}", "kind": "refund",
                "gsi1pk": table_keys.refunds(code), "gsi1sk": f"{created_utc}#{refund_id}", **data}

    @staticmethod
    def reversal_row(code: str, payment_id: str, reversal_id: str, created_utc: str, data: Mapping[str, Any]
                     ) -> dict[str, Any]:
        return {"pk": table_keys.payment(code, payment_id), "sk": f"REVERSAL#{reversal_id}", "kind": "reversal",
                "gsi1pk": table_keys.refunds(code), "gsi1sk": f"{created_utc}#{reversal_id}",
                # An alert for the treasury until an official acknowledges it.
                "gsi2pk": table_keys.alerts(code), "gsi2sk": f"{created_utc}#{reversal_id}", **data}

    # -- writes --------------------------------------------------------------------------------

    def propose(self, row: dict[str, Any], *, payment_states: Sequence[str], event: dict[str, Any],
                audit: dict[str, Any]) -> None:
        """Write the proposal and take the payment's open-refund mark (ConditionFailed when the
        payment moved, or another refund is open)."""
        values: dict[str, Any] = {":rid": row["refund_id"]}
        names = {"#s": "status"}
        placeholders = []
        for n, state in enumerate(payment_states):
            values[f":st{n}"] = state
            placeholders.append(f":st{n}")
        self._table.transact([
            {"update": (row["pk"], "META"), "expression": "SET refund_open = :rid",
             "condition": f"attribute_not_exists(refund_open) AND #s IN ({', '.join(placeholders)})",
             "names": names, "values": values},
            {"put": row, "condition": "attribute_not_exists(pk)"},
            {"put": event}, {"put": audit, "condition": "attribute_not_exists(pk)"},
        ])

    def withdraw(self, code: str, payment_id: str, refund_id: str, *, set_fields: Mapping[str, Any],
                 event: dict[str, Any], audit: dict[str, Any]) -> None:
        """A proposal withdrawn: the row `proposed` → `cancelled`, the payment's mark released."""
        self._table.transact([
            self._row_update(code, payment_id, refund_id, ("proposed",), "cancelled", set_fields),
            {"update": (table_keys.payment(code, payment_id), "META"), "expression": "REMOVE refund_open",
             "condition": "refund_open = :rid", "values": {":rid": refund_id}},
            {"put": event}, {"put": audit, "condition": "attribute_not_exists(pk)"},
        ])

    def authorize(self, code: str, payment_id: str, refund_id: str, *, payment_from: str,
                  row_fields: Mapping[str, Any], event: dict[str, Any], audit: dict[str, Any]) -> None:
        """The signed order recorded: the row `proposed` → `authorized`, the payment → `refund_pending`."""
        self._table.transact([
            self._row_update(code, payment_id, refund_id, ("proposed",), "authorized", row_fields),
            {"update": (table_keys.payment(code, payment_id), "META"),
             "expression": "SET #s = :to, refund_status_before = :from, updated_at = :at",
             "condition": "#s = :from AND refund_open = :rid", "names": {"#s": "status"},
             "values": {":to": "refund_pending", ":from": payment_from, ":rid": refund_id, ":at": event["at"]}},
            {"put": event}, {"put": audit, "condition": "attribute_not_exists(pk)"},
        ])

    def record_row(self, code: str, payment_id: str, refund_id: str, *, row_from: Sequence[str], row_to: str,
                   row_fields: Mapping[str, Any], event: dict[str, Any]) -> None:
        """A step that only changes the refund (TGR accepted the order)."""
        self._table.transact([self._row_update(code, payment_id, refund_id, row_from, row_to, row_fields),
                              {"put": event}])

    def close(self, code: str, payment_id: str, refund_id: str, *, row_from: Sequence[str], row_to: str,
              row_fields: Mapping[str, Any], payment_to: str, refunded_amount: int = 0,
              refunded_items: Sequence[int] = (), annulment: Annulment | None = None,
              document_due: str | None = None, event: dict[str, Any], audit: dict[str, Any]) -> None:
        """The refund's end: the row to `row_to`, the payment `refund_pending` → `payment_to` (its
        mark released; the amount and items added to what was refunded), and `annulment`. With
        `document_due` (a UTC key) the row enters the annulment outbox: the sweep queues its
        document job from then on until the document's e-mail is settled."""
        if document_due is not None:
            row_fields = {**row_fields, **_outbox_fields(code, document_due)}
        expression = "SET #s = :to, updated_at = :at"
        values: dict[str, Any] = {":to": payment_to, ":from": "refund_pending", ":rid": refund_id, ":at": event["at"]}
        if refunded_amount:
            expression += (", refunded_amount = if_not_exists(refunded_amount, :zero) + :amount, "
                           "refunded_items = list_append(if_not_exists(refunded_items, :none), :items)")
            values.update({":zero": 0, ":amount": refunded_amount, ":none": [], ":items": list(refunded_items)})
        operations: list[Mapping[str, Any]] = [
            self._row_update(code, payment_id, refund_id, row_from, row_to, row_fields),
            {"update": (table_keys.payment(code, payment_id), "META"), "expression": expression + " REMOVE refund_open",
             "condition": "#s = :from AND refund_open = :rid", "names": {"#s": "status"}, "values": values},
        ]
        operations += self._annulment_ops(code, payment_id, annulment)
        operations += [{"put": event}, {"put": audit, "condition": "attribute_not_exists(pk)"}]
        self._table.transact(operations)

    def reverse(self, code: str, payment_id: str, row: dict[str, Any], *, payment_from: str,
                annulment: Annulment, document_due: str, event: dict[str, Any], audit: dict[str, Any]) -> None:
        """TGR's contracargo: the reversal row (new, in the annulment outbox from `document_due`),
        the payment `payment_from` → `reversed`, and `annulment`. ConditionFailed when the payment
        moved or the reversal is already recorded."""
        operations: list[Mapping[str, Any]] = [
            {"put": {**row, **_outbox_fields(code, document_due)}, "condition": "attribute_not_exists(pk)"},
            {"update": (table_keys.payment(code, payment_id), "META"),
             "expression": "SET #s = :to, reversed_at = :at, reversal_id = :rid REMOVE refund_open",
             "condition": "#s = :from", "names": {"#s": "status"},
             "values": {":to": "reversed", ":from": payment_from, ":at": annulment.at,
                        ":rid": row["reversal_id"]}},
        ]
        operations += self._annulment_ops(code, payment_id, annulment)
        operations += [{"put": event}, {"put": audit, "condition": "attribute_not_exists(pk)"}]
        self._table.transact(operations)

    # -- internals -----------------------------------------------------------------------------

    def _row_update(self, code: str, payment_id: str, refund_id: str, row_from: Sequence[str], row_to: str,
                    fields: Mapping[str, Any]) -> dict[str, Any]:
        expression, names, values = set_remove_expression(fields, (), leading=["#rs = :rto"])
        names["#rs"] = "status"
        values[":rto"] = row_to
        placeholders = []
        for n, state in enumerate(row_from):
            values[f":rf{n}"] = state
            placeholders.append(f":rf{n}")
        return {"update": (table_keys.payment(code, payment_id), f"REFUND#{refund_id}"), "expression": expression,
                "condition": f"#rs IN ({', '.join(placeholders)})", "names": names, "values": values}

    @staticmethod
    def _annulment_ops(code: str, payment_id: str, annulment: Annulment | None) -> list[Mapping[str, Any]]:
        if annulment is None:
            return []
        operations: list[Mapping[str, Any]] = []
        for group in hold_items.grouped(annulment.holds):
            # Annulled is free for the next payment (PaymentRepository.create), and what the plate
            # look-up reports for the year's permit until someone pays it again.
            operations.append(hold_items.change(group, payment_id=payment_id, fields={
                "status": "annulled", "updated_at": annulment.at, "annulled_at": annulment.at}))
        for debt_id in annulment.debts:
            operations.append({"update": (table_keys.debt(code, debt_id), "DEBT"),
                               "expression": "SET #s = :open REMOVE paid_by",
                               "condition": "#s = :paid AND paid_by = :pid", "names": {"#s": "status"},
                               "values": {":open": "open", ":paid": "paid", ":pid": payment_id}})
        for debt_id in annulment.second_installments:
            operations.append({"delete": (table_keys.debt(code, debt_id), "DEBT"),
                               "condition": "#s = :open AND created_by_payment = :pid", "names": {"#s": "status"},
                               "values": {":open": "open", ":pid": payment_id}})
        if annulment.receipt_folio:
            operations.append({"update": (table_keys.receipt(code, annulment.receipt_folio), "RECEIPT"),
                               "expression": "SET #s = :annulled, annulled_at = :at, annulment_reason = :why",
                               "condition": "#s = :issued AND payment_id = :pid", "names": {"#s": "status"},
                               "values": {":annulled": "annulled", ":issued": "issued", ":at": annulment.at,
                                          ":why": annulment.reason, ":pid": payment_id}})
        operations += StatsRepository.refund_operations(code, annulment.day, annulment.by_service, REFUND_LINE)
        return operations


def _outbox_fields(code: str, due: str) -> dict[str, str]:
    return {"gsi3pk": table_keys.annulment_outbox(code), "gsi3sk": due}
