"""Reading a municipality's audit log: newest first, by UTC day range, paginated.

Entries live in one partition per month (`<cut>#AUDIT#YYYY-MM`, sk `<utc time>#<id>`); a range
reads those months, newest first, with the sort key bounded to the days asked."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.adapters.audit_log import audit_partitions
from chalicelib.adapters.dynamo import DynamoTable, Item
from chalicelib.adapters.paged_search import search
from chalicelib.domain.errors import InvalidInput

MAX_DAYS = 366


def months_between(first: date, last: date) -> list[str]:
    """`YYYY-MM` of every month from `last` back to `first`."""
    months = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def read_audit(code: str, first: date, last: date, table: DynamoTable, *, limit: int, cursor: str | None,
               ) -> dict[str, Any]:
    if first > last:
        raise InvalidInput("La fecha 'from' no puede ser posterior a 'to'.", code="invalid_range", field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"El rango puede abarcar como máximo {MAX_DAYS} días.", code="range_too_long", field="to")
    span = (first.isoformat(), f"{last.isoformat()}~")
    partitions = audit_partitions(code, months_between(first, last), span)
    page = search(table, partitions, limit=limit, cursor=cursor, resolve=_entry, max_examined=5 * limit + 100)
    return {"items": page.items, "cursor": page.cursor}


def _entry(row: Item) -> Item:
    return {k: row.get(k) for k in ("at", "actor", "profile", "action", "target", "before", "after")}
