"""Citizens' sign-ins under way and the national index of a citizen's payments, in DynamoDB."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import ConditionFailed, DynamoTable


class CitizenRepository:
    """Reads and conditional writes of citizens' sign-in flows and payment pointers."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- sign-in flows ---------------------------------------------------------------------------

    def save_sign_in(self, state_digest: str, *, nonce: str, code_verifier: str, expires_at: int) -> None:
        """Record a sign-in under way (a new state each time; TTL removes it later)."""
        self._table.put_new({"pk": keys.citizen_sign_in(state_digest), "sk": "FLOW", "nonce": nonce,
                             "code_verifier": code_verifier, "expires_at": expires_at, "ttl": expires_at + 3600})

    def take_sign_in(self, state_digest: str, *, now: int) -> dict[str, Any] | None:
        """The sign-in of this state, marked used in the same conditional write: None when there
        is none, it expired, or it was already used (a state serves one callback only)."""
        try:
            return self._table.update(
                keys.citizen_sign_in(state_digest), "FLOW", "SET used_at = :now",
                condition="attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now",
                values={":now": now})
        except ConditionFailed:
            return None

    # -- the national index of a citizen's payments ------------------------------------------------

    @staticmethod
    def payment_pointer(run_digest: str, *, code: str, payment_id: str, created_key: str) -> dict[str, Any]:
        """The put operation (for the payment's creation transaction) of the pointer from a
        citizen's keyed RUN hash to one payment."""
        return {"put": {"pk": keys.citizen(run_digest), "sk": f"PAY#{created_key}#{payment_id}",
                        "municipality": keys.tenant(code), "payment_id": payment_id},
                "condition": "attribute_not_exists(pk)"}

    def payment_pointers(self, run_digest: str, limit: int = 500) -> list[dict[str, Any]]:
        """(municipality, payment id) of the citizen's payments, newest first."""
        page = self._table.query(keys.citizen(run_digest), sk_prefix="PAY#", newest_first=True, limit=limit)
        return [{"municipality": str(i["municipality"]), "payment_id": str(i["payment_id"])} for i in page.items]
