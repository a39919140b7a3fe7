"""Receipt folios, receipt records and a payment's receipt and e-mail state, in DynamoDB.

Every write here is conditional, so that the receipts worker — which SQS may run twice for the
same payment, one after the other or at the same time — can repeat any step safely:

- `allocate_folio`: one transaction moves the municipality's yearly counter (`<cut>#FOLIO#<year>`,
  sk `COUNTER`) from n to n+1 *only if it is still n* and sets the folio on the payment
  (`receipt_issue`) *only if it has none*. Both or neither: a folio is never burnt (gapless) nor
  given twice (unique), and a payment never gets a second one.
- `mark_issued`: writes the receipt record (`<cut>#RECEIPT#<folio>`), complete and issued, once the
  signed PDF is stored: one conditional write (the verify route finds nothing before it).
- `claim_email` / `record_email`: a lease on the payment's `email` attribute, so that at most one
  worker sends at a time and a sent e-mail is never sent again (see docs/receipts.md); an attempt
  not sent is kept as an `EMAIL#…` row, a sent one is its settled state; the claim
  also shows the receipt on the payment (`receipt_issue.signed_at`), so issuing it costs the
  payment record no write of its own.

The shapes of `receipt_issue` (old and new) are read through `domain/receipt_state.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed, DependencyUnavailable
from chalicelib.domain.receipt_state import email_attempts, receipt_allocation, receipt_pdf_key

FOLIO_DIGITS = 6
_ALLOCATION_ATTEMPTS = 12


def folio_text(code: str, year: int, number: int) -> str:
    """`13101-2027-000123`: municipality, year, number (zero-padded to six digits, more if needed)."""
    return f"{table_keys.tenant(code)}-{year:04d}-{number:0{FOLIO_DIGITS}d}"


def receipt_object_key(code: str, year: int, folio: str) -> str:
    """Where a receipt's signed PDF is stored in the receipts bucket."""
    table_keys.tenant(code)
    return receipt_pdf_key(folio)


@dataclass(frozen=True)
class FolioRequest:
    """What the allocation writes beside the folio, and the amount the receipt record will say (the
    service decides the values)."""

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

    def counter(self, code: str, year: int, *, consistent: bool = True) -> int:
        """The last folio number given in a municipality and year (0 before the first)."""
        item = self._table.get(table_keys.folio_counter(code, year), "COUNTER", consistent=consistent)
        return int(item["value"]) if item else 0

    # -- folio ---------------------------------------------------------------------------------

    def allocate_folio(self, code: str, payment_id: str, request: FolioRequest) -> dict[str, Any] | None:
        """Give the payment the next folio of its municipality and year, atomically with the counter.
        Returns the allocation (`domain.receipt_state.receipt_allocation`), or None when the payment
        already had one (the caller re-reads it).

        Optimistic: the counter's value is read, then the transaction is conditional on it. The
        first read is eventually consistent (half the units): it is only a guess, and a stale one
        fails the condition; after a conflict the counter is read strongly consistent and the
        transaction tried again (bounded; then retryable).
        """
        consistent = False
        for _ in range(_ALLOCATION_ATTEMPTS):
            current = self.counter(code, request.year, consistent=consistent)
            consistent = True
            number = current + 1
            folio = folio_text(code, request.year, number)
            issue = {"folio": folio, "verification_code": request.verification_code, "issued_at": request.issued_at}
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
                 "names": {"#s": "status"}, "values": {":issue": issue, ":paid": "paid"}},
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
            return receipt_allocation({"receipt_issue": issue})
        raise DependencyUnavailable("El contador de folios está muy ocupado; se reintentará.",
                                    code="folio_contention")

    # -- issue ---------------------------------------------------------------------------------

    def mark_issued(self, code: str, payment_id: str, allocation: Mapping[str, Any], *, amount: int,
                    code_hash: str, signature: Mapping[str, Any], document_sha256: str) -> bool:
        """Write the receipt record of `allocation`'s folio, issued: the payment, amount, date, the
        verification code's hash (`code_hash`, never the code), the signature and the stored PDF's
        SHA-256 (what the verify route answers and compares an uploaded PDF with). Repeat-safe: a
        record of the same payment is written again (an older one, `allocated` by earlier code,
        becomes issued); an annulled one is left alone (False)."""
        folio = str(allocation["folio"])
        try:
            self._table.update(
                table_keys.receipt(code, folio), "RECEIPT",
                "SET folio = :folio, municipality = :code, payment_id = :pid, amount = :amount, issued_at = :at,"
                " code_hash = :hash, #s = :issued, signature = :sig, document_sha256 = :sha",
                condition="attribute_not_exists(pk) OR (payment_id = :pid AND #s <> :annulled)",
                names={"#s": "status"},
                values={":folio": folio, ":code": code, ":pid": payment_id, ":amount": amount,
                        ":at": str(allocation["issued_at"]), ":hash": code_hash, ":issued": "issued",
                        ":sig": dict(signature), ":sha": document_sha256, ":annulled": "annulled"},
                return_new=False)
        except ConditionFailed:
            return False
        return True

    def show_issued(self, code: str, payment_id: str, *, signed_at: str) -> None:
        """Show the issued receipt on the payment (`receipt_issue.signed_at`), alone: only for a payment
        whose e-mail step was settled without the claim that normally does it (`claim_email`)."""
        self._table.update(table_keys.payment(code, payment_id), "META",
                           "SET receipt_issue.signed_at = if_not_exists(receipt_issue.signed_at, :at)",
                           condition="attribute_exists(receipt_issue)", values={":at": signed_at},
                           return_new=False)

    # -- e-mail --------------------------------------------------------------------------------

    def claim_email(self, code: str, payment_id: str, *, attempt_id: str, now_key: str, lease_until: str,
                    attempts: int, signed_at: str | None = None) -> bool:
        """Take the right to send the payment's e-mail: when none was tried, the last try failed in
        a retryable way, the last try's outcome is unknown or the previous sender's lease has run
        out (the caller first settles those two from SES's events when it can). False when someone
        holds a live lease or the e-mail is already settled (sent or failed).

        With `signed_at` (the receipt was just issued), the same write shows the receipt on the
        payment (`receipt_issue.signed_at`, kept if already there): the e-mail is never claimed
        before the receipt is visible, and issuing costs the record no write of its own."""
        state = {"status": "sending", "attempt_id": attempt_id, "lease_until": lease_until, "at": now_key,
                 "attempts": attempts}
        expression = "SET #e = :state"
        condition = ("(attribute_not_exists(#e) OR #e.#st = :retry OR #e.#st = :unknown"
                     " OR (#e.#st = :sending AND #e.lease_until < :now))")
        values: dict[str, Any] = {":state": state, ":retry": "retry", ":unknown": "unknown", ":sending": "sending",
                                  ":now": now_key}
        if signed_at:
            expression += ", receipt_issue.signed_at = if_not_exists(receipt_issue.signed_at, :signed)"
            condition = f"attribute_exists(receipt_issue) AND {condition}"
            values[":signed"] = signed_at
        try:
            self._table.update(table_keys.payment(code, payment_id), "META", expression, condition=condition,
                               names={"#e": "email", "#st": "status"}, values=values, return_new=False)
        except ConditionFailed:
            return False
        return True

    def record_email(self, code: str, payment_id: str, *, attempt_id: str, state: Mapping[str, Any],
                     attempt_row: Mapping[str, Any] | None = None) -> bool:
        """Settle (or release) the claim `attempt_id` with `state`: one conditional write. False when
        the claim is no longer ours. A final state (`sent`, `failed`) also removes the payment's
        outbox mark: its receipt job is finished.

        An attempt that was not sent leaves an `EMAIL#…` row (`attempt_row`), written just before:
        the state it settles is replaced by the next attempt's. A sent attempt needs none — its
        settled state is its record, and officials see it through `domain.receipt_state.email_attempts`
        (a resend keeps it as a row before reopening the e-mail, `PaymentRepository.reopen_email`).
        The row is a write of its own, not a transaction with the state (half the units), and comes
        first: a crash in between leaves a true row (the attempt was made) whose claim is still open
        and is settled later, never a state without its row."""
        final = state.get("status") in ("sent", "failed")
        if attempt_row is not None:
            self._table.put({"pk": table_keys.payment(code, payment_id), **attempt_row})
        try:
            self._table.update(
                table_keys.payment(code, payment_id), "META",
                "SET #e = :state" + (" REMOVE gsi3pk, gsi3sk" if final else ""),
                condition="#e.attempt_id = :mine", names={"#e": "email"},
                values={":state": dict(state), ":mine": attempt_id}, return_new=False)
        except ConditionFailed:
            return False
        return True

    def email_attempts(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """The payment's e-mail delivery attempts, oldest first (for officials): its `EMAIL#` rows and
        the sent attempt its record implies (`domain.receipt_state.email_attempts`)."""
        pk = table_keys.payment(code, payment_id)
        return email_attempts(self._table.query_all(pk, sk_prefix="EMAIL#", consistent=True),
                              self._table.get(pk, "META", consistent=True))
