"""Annulment documents (comprobantes de anulación, and credit notes for a partial refund) in
DynamoDB: their own gapless folio series per municipality and year (`<cut>#FOLIO#ANU#<year>`,
folios `13101-ANU-2027-000001`), the record `<cut>#ANNULMENT#<folio>`, and the document's state on
the refund or reversal row it belongs to (`document`, `document_email`). Every write is
conditional, so the worker may run the same job twice, in turn or at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed, DependencyUnavailable

_ALLOCATION_ATTEMPTS = 12


def annulment_folio(code: str, year: int, number: int) -> str:
    return f"{table_keys.tenant(code)}-ANU-{year:04d}-{number:06d}"


class AnnulmentRepository:
    """Folios and delivery state of annulment documents."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def row(self, code: str, payment_id: str, row_sk: str) -> dict[str, Any] | None:
        """The refund (`REFUND#…`) or reversal (`REVERSAL#…`) row the document belongs to."""
        return self._table.get(table_keys.payment(code, payment_id), row_sk, consistent=True)

    def record(self, code: str, folio: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.annulment(code, folio), "ANNULMENT")

    def allocate(self, code: str, payment_id: str, row_sk: str, *, year: int, issued_at: str,
                 data: Mapping[str, Any]) -> dict[str, Any] | None:
        """The next folio of the series, with its record, set on the row once. None when the row
        already had one (the caller re-reads it). Optimistic on the counter, like receipts'."""
        for _ in range(_ALLOCATION_ATTEMPTS):
            counter = self._table.get(table_keys.annulment_counter(code, year), "COUNTER", consistent=True)
            current = int(counter["value"]) if counter else 0
            number = current + 1
            folio = annulment_folio(code, year, number)
            allocation = {"folio": folio, "number": number, "year": year, "issued_at": issued_at,
                          "key": f"{table_keys.tenant(code)}/annulments/{year:04d}/{folio}.pdf"}
            pk = table_keys.annulment_counter(code, year)
            counter_op: dict[str, Any] = (
                {"put": {"pk": pk, "sk": "COUNTER", "value": number, "municipality": code, "year": year},
                 "condition": "attribute_not_exists(pk)"} if current == 0 else
                {"update": (pk, "COUNTER"), "expression": "SET #v = :next", "condition": "#v = :current",
                 "names": {"#v": "value"}, "values": {":next": number, ":current": current}})
            try:
                self._table.transact([
                    counter_op,
                    {"update": (table_keys.payment(code, payment_id), row_sk), "expression": "SET document = :d",
                     "condition": "attribute_exists(pk) AND attribute_not_exists(document)",
                     "values": {":d": allocation}},
                    {"put": {"pk": table_keys.annulment(code, folio), "sk": "ANNULMENT", "folio": folio,
                             "municipality": code, "payment_id": payment_id, "row": row_sk, **data},
                     "condition": "attribute_not_exists(pk)"},
                ])
            except ConditionFailed as exc:
                if len(exc.reasons) > 1 and exc.reasons[1] == "ConditionalCheckFailed":
                    return None
                continue
            return allocation
        raise DependencyUnavailable("No se pudo asignar el folio de anulación; se reintentará.",
                                    code="folio_contention")

    def claim_email(self, code: str, payment_id: str, row_sk: str, *, attempt_id: str, now_key: str,
                    lease_until: str) -> bool:
        """Take the right to send the document's e-mail: none tried yet, the last try failed before
        SES took it (`retry`), or the last claim's lease has run out while it was still `sending`
        (its worker died) or its outcome `unknown` (SES's answer was lost). False otherwise: a live
        claim, or an e-mail settled (`sent`, `failed`)."""
        try:
            self._table.update(
                table_keys.payment(code, payment_id), row_sk, "SET #e = :state",
                condition=("attribute_not_exists(#e) OR #e.#st = :retry"
                           " OR (#e.#st IN (:sending, :unknown) AND #e.lease_until < :now)"),
                names={"#e": "document_email", "#st": "status"},
                values={":state": {"status": "sending", "attempt_id": attempt_id, "lease_until": lease_until},
                        ":retry": "retry", ":sending": "sending", ":unknown": "unknown", ":now": now_key},
                return_new=False)
        except ConditionFailed:
            return False
        return True

    def due_documents(self, code: str, before_key: str, limit: int = 100) -> list[tuple[str, str]]:
        """(payment id, row sk) of refunds and reversals whose annulment document is unsettled
        and due to be queued again before `before_key` (a UTC key)."""
        page = self._table.query(table_keys.annulment_outbox(code), index="GSI3", sk_between=("0", before_key),
                                 limit=limit)
        return [(str(item["pk"]).rsplit("#", 1)[-1], str(item["sk"])) for item in page.items]

    def postpone(self, code: str, payment_id: str, row_sk: str, *, due: str) -> None:
        """Move a row's outbox mark to `due`; ConditionFailed when it left the outbox meanwhile."""
        self._table.update(table_keys.payment(code, payment_id), row_sk, "SET gsi3sk = :due",
                           condition="gsi3pk = :box",
                           values={":due": due, ":box": table_keys.annulment_outbox(code)}, return_new=False)

    def record_email(self, code: str, payment_id: str, row_sk: str, *, attempt_id: str, state: Mapping[str, Any],
                     event: Mapping[str, Any] | None = None) -> None:
        """Record an e-mail attempt's outcome; a settled one (`sent`, `failed`) also takes the row
        out of the annulment outbox."""
        settled = state.get("status") in ("sent", "failed")
        operations: list[dict[str, Any]] = [
            {"update": (table_keys.payment(code, payment_id), row_sk),
             "expression": "SET #e = :state" + (" REMOVE gsi3pk, gsi3sk" if settled else ""),
             "condition": "#e.attempt_id = :mine", "names": {"#e": "document_email"},
             "values": {":state": dict(state), ":mine": attempt_id}}]
        if event is not None:
            operations.append({"put": dict(event)})
        self._table.transact(operations)
