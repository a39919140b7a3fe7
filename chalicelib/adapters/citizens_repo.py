"""Citizens' sign-ins under way and the national index of a citizen's payments, in DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed


class CitizenRepository:
    """Reads and conditional writes of citizens' sign-in flows and payment pointers."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- sign-in flows ---------------------------------------------------------------------------

    def save_sign_in(self, state_digest: str, *, nonce: str, code_verifier: str, expires_at: int) -> None:
        """Record a sign-in under way (a new state each time; TTL removes it later)."""
        self._table.put_new({"pk": table_keys.citizen_sign_in(state_digest), "sk": "FLOW", "nonce": nonce,
                             "code_verifier": code_verifier, "expires_at": expires_at, "ttl": expires_at + 3600})

    def take_sign_in(self, state_digest: str, *, now: int) -> dict[str, Any] | None:
        """The sign-in of this state, marked used in the same conditional write: None when there
        is none, it expired, or it was already used (a state serves one callback only)."""
        try:
            return self._table.update(
                table_keys.citizen_sign_in(state_digest), "FLOW", "SET used_at = :now",
                condition="attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now",
                values={":now": now})
        except ConditionFailed:
            return None

    # -- the national index of a citizen's payments ------------------------------------------------

    @staticmethod
    def payment_pointer(run_digest: str, *, code: str, payment_id: str, created_key: str) -> dict[str, Any]:
        """The conditional put of the pointer from a citizen's keyed RUN hash to one payment: written
        by the payment's creation just before its transaction, so a pointer may name a payment that
        never came to exist (its cart refused); readers skip it (`services/citizens.my_payments`)."""
        return {"put": {"pk": table_keys.citizen(run_digest), "sk": f"PAY#{created_key}#{payment_id}",
                        "municipality": table_keys.tenant(code), "payment_id": payment_id},
                "condition": "attribute_not_exists(pk)"}

    def add_payment_pointer(self, run_digest: str, *, code: str, payment_id: str, created_key: str) -> bool:
        """Write one pointer on its own (the index backfill); False when it is there already, so
        running the backfill again changes nothing."""
        operation = self.payment_pointer(run_digest, code=code, payment_id=payment_id, created_key=created_key)
        try:
            self._table.put(operation["put"], condition=operation["condition"])
        except ConditionFailed:
            return False
        return True

    def payments_of_day(self, code: str, day: str) -> Iterator[dict[str, Any]]:
        """Every payment a municipality created on `day` (YYYY-MM-DD), through the by-day index
        (what the index backfill reads; a listing entry holds keys only: the record is read by key)."""
        from chalicelib.adapters.payments_repo import LISTING

        for row in self._table.query_all(table_keys.payments_by_day(code, day), index="GSI1", limit=100):
            if row.get("sk") == LISTING:
                meta = self._table.get(str(row["pk"]), "META", consistent=True)
                if meta is not None:
                    yield meta
                continue
            yield row

    def payment_pointers(self, run_digest: str, limit: int = 500) -> list[dict[str, Any]]:
        """(municipality, payment id) of the citizen's payments, newest first."""
        page = self._table.query(table_keys.citizen(run_digest), sk_prefix="PAY#", newest_first=True, limit=limit)
        return [{"municipality": str(i["municipality"]), "payment_id": str(i["payment_id"])} for i in page.items]

    # -- reminders: consent, one claim per debt, kind and due date, the delivery log ----------------

    def consent(self, run_digest: str) -> dict[str, Any] | None:
        """The citizen's consent to reminders (e-mail, obligations), or None."""
        return self._table.get(table_keys.citizen(run_digest), "REMINDERS", consistent=True)

    def save_consent(self, run_digest: str, *, email: str, obligations: list[str], at: str) -> dict[str, Any]:
        """Give or change consent (the version counts changes; an unsubscribe link names it)."""
        return self._table.update(
            table_keys.citizen(run_digest), "REMINDERS",
            "SET email = :e, obligations = :o, updated_at = :at REMOVE withdrawn ADD version :one",
            values={":e": email, ":o": obligations, ":at": at, ":one": 1})

    def withdraw_consent(self, run_digest: str, *, version: int | None = None) -> bool:
        """Withdraw consent; with `version`, only that consent (an unsubscribe link of an older
        consent does not withdraw a newer one). False when there was none to withdraw."""
        condition, values = "attribute_exists(pk)", {}
        if version is not None:
            condition += " AND version = :v"
            values = {":v": version}
        try:
            self._table.transact([{"update": (table_keys.citizen(run_digest), "REMINDERS"),
                                   "expression": "REMOVE email, obligations SET withdrawn = :t",
                                   "condition": condition + " AND attribute_exists(email)",
                                   "values": {**values, ":t": True}}])
        except ConditionFailed:
            return False
        return True

    def claim_reminder(self, code: str, debt_id: str, *, kind: str, due_date: str, at: str,
                       log_month: str, log_key: str, detail: dict[str, Any]) -> bool:
        """Claim the one reminder of this kind for this debt's due date (False: already claimed,
        so never sent twice). The claim is also the municipality's delivery log entry."""
        try:
            self._table.put_new({"pk": table_keys.reminder(code, debt_id), "sk": f"{kind}#{due_date}",
                                 "status": "sending",
                                 "at": at, "kind": kind, "due_date": due_date, "debt_id": debt_id, **detail,
                                 "gsi1pk": table_keys.reminder_log(code, log_month), "gsi1sk": log_key})
        except ConditionFailed:
            return False
        return True

    def settle_reminder(self, code: str, debt_id: str, *, kind: str, due_date: str, status: str,
                        message_id: str | None = None, reason: str | None = None) -> None:
        """Record the outcome of a claimed reminder (sent / failed), once."""
        self._table.update(table_keys.reminder(code, debt_id), f"{kind}#{due_date}",
                           "SET #s = :s, message_id = :m, reason = :r", condition="#s = :sending",
                           names={"#s": "status"},
                           values={":s": status, ":m": message_id or "", ":r": reason or "", ":sending": "sending"},
                           return_new=False)

    def reminder_log(self, code: str, month: str, limit: int = 200) -> list[dict[str, Any]]:
        """The municipality's reminder deliveries of a month, newest first."""
        page = self._table.query(table_keys.reminder_log(code, month), index="GSI1", newest_first=True, limit=limit)
        return page.items

    # -- next year's permit: how far the February scan of last year's payments got ----------------------

    def renewal_cursor(self, code: str, year: int) -> str | None:
        """The next day (YYYY-MM-DD) the scan for `year`'s permit reminders reads, or None (not begun)."""
        item = self._table.get(table_keys.reminder(code, "PERMIT-RENEWAL-SCAN"), f"cursor#{year}", consistent=True)
        return str(item["next_day"]) if item else None

    def advance_renewal_cursor(self, code: str, year: int, *, old: str | None, new: str) -> bool:
        """Move the scan's cursor from `old` to `new` (False when another pass moved it meanwhile)."""
        condition, values = "attribute_not_exists(pk)", {}
        if old is not None:
            condition, values = "next_day = :old", {":old": old}
        try:
            self._table.put({"pk": table_keys.reminder(code, "PERMIT-RENEWAL-SCAN"), "sk": f"cursor#{year}",
                             "next_day": new}, condition=condition, values=values or None)
        except ConditionFailed:
            return False
        return True

