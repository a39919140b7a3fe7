"""Receipt folios, receipt records and a payment's receipt and e-mail state, in DynamoDB.

Every write here is conditional, so that the receipts worker — which SQS may run twice for the
same payment, one after the other or at the same time — can repeat any step safely:

- `allocate_folio`: one transaction moves the municipality's yearly counter (`<cut>#FOLIO#<year>`,
  sk `COUNTER`) from n to n+1 *only if it is still n*, writes the receipt record
  (`<cut>#RECEIPT#<folio>`) *only if new*, and sets the folio on the payment *only if it has none*.
  Either all three happen or none: a folio is never burnt (gapless) nor given twice (unique), and
  a payment never gets a second one.
- `mark_issued`: sets `receipt` on the payment once, marks the record issued, writes the event.
- `claim_email` / `record_email`: a lease on the payment's `email` attribute, so that at most one
  worker sends at a time and a sent e-mail is never sent again (see docs/receipts.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed, DependencyUnavailable

FOLIO_DIGITS = 6
_ALLOCATION_ATTEMPTS = 12


def folio_text(code: str, year: int, number: int) -> str:
    """`13101-2027-000123`: municipality, year, number (zero-padded to six digits, more if needed)."""
    return f"{table_keys.tenant(code)}-{year:04d}-{number:0{FOLIO_DIGITS}d}"


def receipt_object_key(code: str, year: int, folio: str) -> str:
    """Where a receipt's signed PDF is stored in the receipts bucket."""
    return f"{table_keys.tenant(code)}/receipts/{year:04d}/{folio}.pdf"


@dataclass(frozen=True)
class FolioRequest:
    """What the allocation writes beside the folio (the service decides the values)."""

    year: int
    verification_code: str
    issued_at: str
    """ISO time with offset: the receipt's date, fixed once with its folio."""
    amount: int


class ReceiptRepository:
    """Folio allocation and the conditional writes of the receipt pipeline."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    @property
    def table(self) -> DynamoTable:
        """The table this repository writes (fenced to one municipality in the worker)."""
        return self._table

    # -- reads ---------------------------------------------------------------------------------

    def get(self, code: str, folio: str) -> dict[str, Any] | None:
        """The receipt record of a folio (None when there is none)."""
        return self._table.get(table_keys.receipt(code, folio), "RECEIPT")

    def counter(self, code: str, year: int) -> int:
        """The last folio number given in a municipality and year (0 before the first)."""
        item = self._table.get(table_keys.folio_counter(code, year), "COUNTER", consistent=True)
        return int(item["value"]) if item else 0

    # -- folio ---------------------------------------------------------------------------------

    def allocate_folio(self, code: str, payment_id: str, request: FolioRequest, *,
                       hash_code: Callable[[str, str], str]) -> dict[str, Any] | None:
        """Give the payment the next folio of its municipality and year, atomically with the
        counter and the receipt record (which keeps `hash_code(folio, code)`, not the code).
        Returns the allocation written on the payment (`receipt_issue`), or None when the payment
        already had one (the caller re-reads it).

        Optimistic: the counter's value is read, then the transaction is conditional on it; when
        another worker took that number first, read again and retry (bounded; then retryable).
        """
        for _ in range(_ALLOCATION_ATTEMPTS):
            current = self.counter(code, request.year)
            number = current + 1
            folio = folio_text(code, request.year, number)
            allocation = {
                "folio": folio, "number": number, "year": request.year,
                "verification_code": request.verification_code, "issued_at": request.issued_at,
                "key": receipt_object_key(code, request.year, folio),
            }
            counter_pk = table_keys.folio_counter(code, request.year)
            if current == 0:
                counter_op: dict[str, Any] = {
                    "put": {"pk": counter_pk, "sk": "COUNTER", "value": number, "municipality": code,
                            "year": request.year, "updated_at": request.issued_at},
                    "condition": "attribute_not_exists(pk)"}
            else:
                counter_op = {"update": (counter_pk, "COUNTER"), "expression": "SET #v = :next, updated_at = :at",
                              "condition": "#v = :current", "names": {"#v": "value"},
                              "values": {":next": number, ":current": current, ":at": request.issued_at}}
            operations: list[dict[str, Any]] = [
                counter_op,
                {"update": (table_keys.payment(code, payment_id), "META"), "expression": "SET receipt_issue = :issue",
                 "condition": "attribute_not_exists(receipt_issue) AND #s = :paid",
                 "names": {"#s": "status"}, "values": {":issue": allocation, ":paid": "paid"}},
                {"put": {"pk": table_keys.receipt(code, folio), "sk": "RECEIPT", "folio": folio, "municipality": code,
                         "payment_id": payment_id, "amount": request.amount, "issued_at": request.issued_at,
                         "code_hash": hash_code(folio, request.verification_code), "status": "allocated"},
                 "condition": "attribute_not_exists(pk)"},
            ]
            try:
                self._table.transact(operations)
            except ConditionFailed as exc:
                if len(exc.reasons) > 1 and exc.reasons[1] == "ConditionalCheckFailed":
                    return None  # the payment has its folio already (or is no longer paid)
                continue  # another payment took this number: read the counter again
            except DependencyUnavailable as exc:
                if exc.code != "database_busy":  # a transaction conflict on the counter: retry here
                    raise
                continue
            return allocation
        raise DependencyUnavailable("El contador de folios está muy ocupado; se reintentará.",
                                    code="folio_contention")

    # -- issue ---------------------------------------------------------------------------------

    def mark_issued(self, code: str, payment_id: str, receipt: Mapping[str, Any], *,
                    signature: Mapping[str, Any], event: Mapping[str, Any],
                    document_sha256: str | None = None) -> bool:
        """Set the payment's `receipt` (what citizens see) and mark the record issued (with the
        stored PDF's SHA-256, what verifiers compare an uploaded PDF with), with the event; False
        when it was already marked (nothing written)."""
        values: dict[str, Any] = {":issued": "issued", ":sig": dict(signature), ":pid": payment_id}
        expression = "SET #s = :issued, signature = :sig"
        if document_sha256:
            expression += ", document_sha256 = :sha"
            values[":sha"] = document_sha256
        folio = str(receipt["folio"])
        try:
            self._table.transact([
                {"update": (table_keys.payment(code, payment_id), "META"), "expression": "SET receipt = :r",
                 "condition": "attribute_not_exists(receipt)", "values": {":r": dict(receipt)}},
                {"update": (table_keys.receipt(code, folio), "RECEIPT"), "expression": expression,
                 "condition": "payment_id = :pid", "names": {"#s": "status"}, "values": values},
                {"put": dict(event)},
            ])
        except ConditionFailed:
            return False
        return True

    # -- e-mail --------------------------------------------------------------------------------

    def claim_email(self, code: str, payment_id: str, *, attempt_id: str, now_key: str, lease_until: str,
                    attempts: int) -> bool:
        """Take the right to send the payment's e-mail: when none was tried, the last try failed in
        a retryable way, the last try's outcome is unknown or the previous sender's lease has run
        out (the caller first settles those two from SES's events when it can). False when someone
        holds a live lease or the e-mail is already settled (sent or failed)."""
        state = {"status": "sending", "attempt_id": attempt_id, "lease_until": lease_until, "at": now_key,
                 "attempts": attempts}
        try:
            self._table.update(
                table_keys.payment(code, payment_id), "META", "SET #e = :state",
                condition=("attribute_not_exists(#e) OR #e.#st = :retry OR #e.#st = :unknown"
                           " OR (#e.#st = :sending AND #e.lease_until < :now)"),
                names={"#e": "email", "#st": "status"},
                values={":state": state, ":retry": "retry", ":unknown": "unknown", ":sending": "sending",
                        ":now": now_key},
                return_new=False)
        except ConditionFailed:
            return False
        return True

    def record_email(self, code: str, payment_id: str, *, attempt_id: str, state: Mapping[str, Any],
                     attempt_row: Mapping[str, Any], event: Mapping[str, Any] | None = None) -> bool:
        """Settle (or release) the claim `attempt_id` with `state`, and keep the delivery attempt as
        an `EMAIL#…` row beside the payment. False when the claim is no longer ours. A final state
        (`sent`, `failed`) also removes the payment's outbox mark: its receipt job is finished."""
        final = state.get("status") in ("sent", "failed")
        expression = "SET #e = :state" + (" REMOVE gsi3pk, gsi3sk" if final else "")
        operations: list[dict[str, Any]] = [
            {"update": (table_keys.payment(code, payment_id), "META"), "expression": expression,
             "condition": "#e.attempt_id = :mine", "names": {"#e": "email"},
             "values": {":state": dict(state), ":mine": attempt_id}},
            {"put": {"pk": table_keys.payment(code, payment_id), **attempt_row}},
        ]
        if event is not None:
            operations.append({"put": dict(event)})
        try:
            self._table.transact(operations)
        except ConditionFailed:
            return False
        return True

    def email_attempts(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """The payment's e-mail delivery attempts, oldest first (for officials)."""
        return list(self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="EMAIL#", consistent=True))
