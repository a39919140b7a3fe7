"""Idempotency records by (municipality, Idempotency-Key): one conditional write claims the key
for a request and names the payment the request creates, so a repeat finds that payment (and
replays its 201 from the payment record) without any other write to the key. Kept 48 hours
(DynamoDB TTL removes them after)."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed
from chalicelib.domain.personal_data import retention_seconds

RETENTION_S = retention_seconds("idempotency")  # 48 hours, from the register of processing


class IdempotencyRepository:
    """Claim / release of one request's key."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def claim(self, code: str, key: str, request_hash: str, *, payment_id: str, now_epoch: int,
              lease_s: int = 60) -> tuple[bool, dict[str, Any] | None]:
        """Claim the key for this request, naming `payment_id` as what it creates: `(True, record)`
        when claimed (do the work). The record's `payment_id` is `payment_id`, or — when an earlier
        attempt of the same request held the key and its lease ran out — the earlier attempt's id,
        kept (`if_not_exists`): the caller finishes that payment, never makes a second one.
        `(False, existing)` when another attempt holds the key or another request used it (replay
        it, or refuse it). The lease is longer than an API call can live (30 s), so an attempt
        whose lease ran out is dead."""
        try:
            record = self._table.update(
                table_keys.idempotency(code, key), "IDEM",
                "SET request_hash = :h, #st = :busy, lease_until = :lease, #ttl = :ttl,"
                " payment_id = if_not_exists(payment_id, :pid)",
                condition=("attribute_not_exists(pk) OR #st = :released"
                           " OR (#st = :busy AND lease_until < :now AND request_hash = :h)"),
                names={"#st": "state", "#ttl": "ttl"},
                values={":h": request_hash, ":busy": "in_progress", ":lease": now_epoch + lease_s,
                        ":ttl": now_epoch + RETENTION_S, ":pid": payment_id, ":released": "released",
                        ":now": now_epoch})
            return True, record
        except ConditionFailed:
            existing = self._table.get(table_keys.idempotency(code, key), "IDEM", consistent=True)
            return False, existing or {"state": "in_progress", "request_hash": request_hash}

    def release(self, code: str, key: str, request_hash: str) -> None:
        """Let the key be used again (the request failed before changing anything lasting): the
        payment id it named is dropped, so the next claim names a new one."""
        with contextlib.suppress(ConditionFailed):
            self._table.update(table_keys.idempotency(code, key), "IDEM", "SET #st = :released REMOVE payment_id",
                               condition="request_hash = :h AND #st = :busy", names={"#st": "state"},
                               values={":released": "released", ":h": request_hash, ":busy": "in_progress"},
                               return_new=False)
