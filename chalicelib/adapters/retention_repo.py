"""The retention job's reads and writes: a municipality's payments of one day, the conditional
anonymizing updates, and the job's progress marker (docs/personal-data.md).

Every write is conditional on the state that allows it, so the job can run twice at once or be
repeated after a crash: a payment whose e-mail is still being sent, or that is not final, is
never touched; a row already anonymized is a no-op."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed

_MARKER = "MARKER"


class RetentionRepository:
    """What the retention job needs from the table, by municipality."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- progress ------------------------------------------------------------------------------

    def marker(self, code: str) -> dict[str, Any]:
        """The job's progress in a municipality (`{}` before its first run)."""
        return self._table.get(table_keys.retention_marker(code), _MARKER, consistent=True) or {}

    def advance(self, code: str, field: str, previous: str | None, day: str, at: str, *,
                waiting: list[str]) -> bool:
        """Move `field` (the last finished day of a pass) from `previous` to `day`, with the ids of
        the payments the pass must look at again (`<field>_waiting`); False when another run
        moved it first (that run did the same work)."""
        condition = "attribute_not_exists(#f)" if previous is None else "#f = :prev"
        values: dict[str, Any] = {":day": day, ":at": at, ":w": waiting}
        if previous is not None:
            values[":prev"] = previous
        try:
            self._table.update(table_keys.retention_marker(code), _MARKER, "SET #f = :day, #w = :w, updated_at = :at",
                               condition=condition, names={"#f": field, "#w": f"{field}_waiting"}, values=values,
                               return_new=False)
        except ConditionFailed:
            return False
        return True

    # -- reads ---------------------------------------------------------------------------------

    def payments_of_day(self, code: str, day: str) -> Iterator[dict[str, Any]]:
        """Every payment a municipality created on `day` (YYYY-MM-DD), through the by-day index
        (whose entries hold keys only: the record is read by key)."""
        from chalicelib.adapters.payments_repo import LISTING

        for row in self._table.query_all(table_keys.payments_by_day(code, day), index="GSI1", limit=100):
            if row.get("sk") == LISTING:
                meta = self._table.get(str(row["pk"]), "META", consistent=True)
                if meta is not None:
                    yield meta
                continue
            yield row

    def payment(self, code: str, payment_id: str) -> dict[str, Any] | None:
        """One payment's main record (None when there is none)."""
        return self._table.get(table_keys.payment(code, payment_id), "META", consistent=True)

    def email_rows(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """A payment's e-mail delivery rows: the attempts (`EMAIL#…`) and SES's events (`EMAILEVT#…`)."""
        return list(self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="EMAIL", consistent=True))

    # -- anonymizing writes --------------------------------------------------------------------

    def remove_payer_email(self, code: str, payment_id: str, *, at: str, unpaid: tuple[str, ...]) -> bool:
        """Drop the payer's e-mail address from a payment that no longer needs it: paid with its
        e-mail settled (sent or failed), or closed unpaid (`unpaid` statuses). False when the
        address is gone already or the payment is not in such a state (nothing written)."""
        names = {"#p": "payer", "#m": "email", "#e": "email", "#st": "status", "#s": "status"}
        values: dict[str, Any] = {":paid": "paid", ":sent": "sent", ":failed": "failed", ":at": at}
        unpaid_refs = []
        for i, status in enumerate(unpaid):
            values[f":u{i}"] = status
            unpaid_refs.append(f":u{i}")
        condition = ("attribute_exists(#p.#m) AND ((#s = :paid AND #e.#st IN (:sent, :failed))"
                     f" OR #s IN ({', '.join(unpaid_refs)}))")
        try:
            self._table.update(table_keys.payment(code, payment_id), "META",
                               "REMOVE #p.#m SET email_removed_at = :at",
                               condition=condition, names=names, values=values,
                               return_new=False)
        except ConditionFailed:
            return False
        return True

    def remove_delivery_recipient(self, code: str, payment_id: str, sk: str) -> bool:
        """Drop the recipient address from one e-mail delivery row (its outcome stays): `to` on an
        attempt, `recipient` on an SES event."""
        field = "recipient" if sk.startswith("EMAILEVT#") else "to"
        try:
            self._table.update(table_keys.payment(code, payment_id), sk, "REMOVE #to",
                               condition="attribute_exists(#to)",
                               names={"#to": field}, return_new=False)
        except ConditionFailed:
            return False
        return True

    def anonymize_unpaid_payer(self, code: str, payment_id: str, *, at: str, unpaid: tuple[str, ...],
                               items: list[dict[str, Any]]) -> bool:
        """Replace the payer of a payment that was never paid by a mark, its items summary by
        `items` (the caller strips the owner's RUT), and drop its RUT index entry: no legal
        obligation keeps who tried to pay. False when done already or not unpaid."""
        values: dict[str, Any] = {":anon": {"anonymized_at": at}, ":items": items}
        refs = []
        for i, status in enumerate(unpaid):
            values[f":u{i}"] = status
            refs.append(f":u{i}")
        from chalicelib.adapters.payments_repo import LISTING

        record = {"update": (table_keys.payment(code, payment_id), "META"),
                  "expression": "SET #p = :anon, #i = :items REMOVE gsi2pk, gsi2sk",
                  "condition": f"attribute_exists(#p.rut) AND #s IN ({', '.join(refs)})",
                  "names": {"#p": "payer", "#s": "status", "#i": "items"}, "values": values}
        operations: list[dict[str, Any]] = [record]
        if self._table.get(table_keys.payment(code, payment_id), LISTING, consistent=True) is not None:
            # The RUT's listing entry goes in the same transaction: nothing finds the payment by RUT.
            operations.append({"update": (table_keys.payment(code, payment_id), LISTING),
                               "expression": "REMOVE gsi2pk, gsi2sk", "condition": "attribute_exists(pk)"})
        try:
            self._table.transact(operations)
        except ConditionFailed:
            return False
        return True
