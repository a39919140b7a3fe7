"""Fleets in DynamoDB: who represents which company (the representation record), the company's
plate list and the log of its fleet payments (docs/citizens.md, "Flotas")."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed


class FleetRepository:
    """Reads and conditional writes of representations, company plate lists and fleet payments."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- representations -------------------------------------------------------------------------

    def register_representation(self, record: dict[str, Any], *, run_digest: str,
                                audit: dict[str, Any] | None = None) -> bool:
        """Register (or re-activate a revoked) representation: the record under the company and,
        in the same transaction, the pointer under the representative's keyed RUN hash that lists
        their companies. False when an active one already exists."""
        company, run = str(record["company_rut"]), str(record["representative_run"])
        row = {"pk": table_keys.company(company), "sk": f"REP#{run}", **record, "status": "active"}
        pointer = {"pk": table_keys.citizen(run_digest), "sk": f"REPRESENTS#{company}", "company_rut": company,
                   "company_name": record["company_name"], "status": "active"}
        free = "attribute_not_exists(pk) OR #s = :revoked"
        try:
            self._table.transact([
                {"put": row, "condition": free, "names": {"#s": "status"}, "values": {":revoked": "revoked"}},
                {"put": pointer, "condition": free, "names": {"#s": "status"}, "values": {":revoked": "revoked"}},
                *([{"put": audit, "condition": "attribute_not_exists(pk)"}] if audit else []),
            ])
        except ConditionFailed:
            return False
        return True

    def revoke_representation(self, company: str, run: str, *, run_digest: str, at: str, by: str,
                              municipality: str | None = None, audit: dict[str, Any] | None = None) -> bool:
        """Revoke an active representation (both rows, atomically), with `municipality` only one
        that municipality registered. False when there is none such."""
        active = "#s = :active"
        names, values = {"#s": "status"}, {":active": "active", ":revoked": "revoked", ":at": at, ":by": by}
        if municipality is not None:
            active += " AND registered_municipality = :m"
            values[":m"] = municipality
        try:
            self._table.transact([
                {"update": (table_keys.company(company), f"REP#{run}"),
                 "expression": "SET #s = :revoked, revoked_at = :at, revoked_by = :by", "condition": active,
                 "names": names, "values": values},
                {"update": (table_keys.citizen(run_digest), f"REPRESENTS#{company}"), "expression": "SET #s = :revoked",
                 "condition": "#s = :active", "names": names, "values": {":active": "active", ":revoked": "revoked"}},
                *([{"put": audit, "condition": "attribute_not_exists(pk)"}] if audit else []),
            ])
        except ConditionFailed:
            return False
        return True

    def representation(self, company: str, run: str) -> dict[str, Any] | None:
        """The representation record of this RUN for this company (any status), or None."""
        return self._table.get(table_keys.company(company), f"REP#{run}", consistent=True)

    def representations(self, company: str) -> list[dict[str, Any]]:
        """Every representation record of a company."""
        return list(self._table.query_all(table_keys.company(company), sk_prefix="REP#"))

    def companies_of(self, run_digest: str) -> list[dict[str, Any]]:
        """The companies a representative's keyed RUN hash points to (active and revoked)."""
        page = self._table.query(table_keys.citizen(run_digest), sk_prefix="REPRESENTS#", limit=100, consistent=True)
        return page.items

    # -- the company's plate list ------------------------------------------------------------------

    def save_plates(self, company: str, plates: Iterable[tuple[str, str]], *, at: str) -> None:
        """Add (or move to another municipality) plates of the company's list; idempotent."""
        for plate, municipality in plates:
            self._table.put({"pk": table_keys.company(company), "sk": f"PLATE#{plate}", "plate": plate,
                             "municipality": table_keys.tenant(municipality), "updated_at": at})

    def plates(self, company: str) -> list[dict[str, str]]:
        """The company's plates, by plate."""
        return [{"plate": str(i["plate"]), "municipality": str(i["municipality"])}
                for i in self._table.query_all(table_keys.company(company), sk_prefix="PLATE#")]

    # -- the log of fleet payments -----------------------------------------------------------------

    def record_payment(self, company: str, payment_id: str, *, municipality: str, plates: list[str],
                       by_digest: str, at: str) -> None:
        """Who (by keyed RUN hash) started which fleet payment, once."""
        with contextlib.suppress(ConditionFailed):  # a replay of the same request: logged already
            self._table.put_new({"pk": table_keys.company(company), "sk": f"PAY#{payment_id}", "payment_id": payment_id,
                                 "municipality": table_keys.tenant(municipality), "plates": plates,
                                 "by": by_digest, "at": at})

    # -- answers of fleet payment requests, by Idempotency-Key ---------------------------------------

    def request_answer(self, company: str, key_digest: str) -> dict[str, Any] | None:
        """The stored answer of a fleet payment request (its request hash and answer), or None."""
        return self._table.get(table_keys.company(company), f"REQ#{key_digest}", consistent=True)

    def save_request_answer(self, company: str, key_digest: str, *, request_hash: str, answer: dict[str, Any],
                            ttl: int) -> None:
        """Keep a fleet payment request's answer for its replays (the first one written stays)."""
        with contextlib.suppress(ConditionFailed):
            self._table.put_new({"pk": table_keys.company(company), "sk": f"REQ#{key_digest}",
                                 "request_hash": request_hash,
                                 "answer": answer, "ttl": ttl})
