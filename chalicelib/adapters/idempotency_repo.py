"""Idempotency records by (municipality, Idempotency-Key): claimed before the work, completed
with the response, replayed for a repeat. Kept 48 hours (DynamoDB TTL removes them after)."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed
from chalicelib.domain.personal_data import retention_seconds

RETENTION_S = retention_seconds("idempotency")  # 48 hours, from the register of processing


class IdempotencyRepository:
    """Claim / complete / release of one request's key."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def claim(self, code: str, key: str, request_hash: str, *, now_epoch: int,
              lease_s: int = 60) -> tuple[bool, dict[str, Any] | None]:
        """Claim the key for this request: `(True, previous)` when claimed (do the work —
        `previous` is the record of an earlier attempt of the same request whose lease ran out,
        whose `payment_id` says what it already created), or `(False, existing)` when another
        attempt holds it or completed it (replay it, or refuse it)."""
        item = {"pk": table_keys.idempotency(code, key), "sk": "IDEM", "request_hash": request_hash,
                "state": "in_progress", "lease_until": now_epoch + lease_s, "ttl": now_epoch + RETENTION_S}
        try:
            previous = self._table.put(item, condition=(
                "attribute_not_exists(pk) OR #st = :released"
                " OR (#st = :busy AND lease_until < :now AND request_hash = :h)"),
                names={"#st": "state"},
                values={":released": "released", ":busy": "in_progress", ":now": now_epoch, ":h": request_hash},
                return_old=True)
            resumable = previous is not None and previous.get("state") == "in_progress"
            return True, previous if resumable else None
        except ConditionFailed:
            existing = self._table.get(table_keys.idempotency(code, key), "IDEM", consistent=True)
            return False, existing or {"state": "in_progress", "request_hash": request_hash}

    @staticmethod
    def link_operation(code: str, key: str, request_hash: str, payment_id: str) -> dict[str, Any]:
        """The transaction step that ties the key to the payment it created, so a crashed
        attempt is resumed, never repeated."""
        return {"update": (table_keys.idempotency(code, key), "IDEM"), "expression": "SET payment_id = :pid",
                "condition": "request_hash = :h", "values": {":pid": payment_id, ":h": request_hash}}

    def complete(self, code: str, key: str, request_hash: str, response: dict[str, Any]) -> None:
        """Store the response for replays."""
        self._table.update(table_keys.idempotency(code, key), "IDEM", "SET #st = :done, #r = :r",
                           condition="request_hash = :h", names={"#st": "state", "#r": "response"},
                           values={":done": "done", ":r": response, ":h": request_hash}, return_new=False)

    def release(self, code: str, key: str, request_hash: str) -> None:
        """Let the key be used again (the request failed before changing anything lasting)."""
        with contextlib.suppress(ConditionFailed):
            self._table.update(table_keys.idempotency(code, key), "IDEM", "SET #st = :released",
                               condition="request_hash = :h AND #st = :busy", names={"#st": "state"},
                               values={":released": "released", ":h": request_hash, ":busy": "in_progress"},
                               return_new=False)
