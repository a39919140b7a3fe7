"""The append-only audit log: who changed what, when, and the value before and after."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.dynamo import DynamoTable


class AuditLog:
    """Audit entries by municipality and month (`<cut>#AUDIT#YYYY-MM`, sk = time#id), never updated.

    This writes an entry on its own; a change that is one transaction puts `audit_row(...)` in it."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def record(self, municipality: str, *, actor: str, profile: str, action: str, target: str,
               before: Any = None, after: Any = None, now: datetime | None = None) -> dict[str, Any]:
        entry = audit_row(municipality, actor=actor, profile=profile, action=action, target=target,
                          before=before, after=after, now=now)
        self._table.put_new(entry)
        return entry


def audit_partitions(code: str, months: Iterable[str], sk_between: tuple[str, str]) -> list[Any]:
    """Where a paged read of the audit log looks (paged_search partitions), month by month."""
    from chalicelib.adapters.paged_search import Partition

    return [Partition(table_keys.audit(code, month), sk_between=sk_between) for month in months]
