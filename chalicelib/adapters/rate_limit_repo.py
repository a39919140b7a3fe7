"""Fixed-window attempt counters in the data table, one item per (municipality, scope, subject,
window), removed by DynamoDB's TTL once the window is over."""

from __future__ import annotations

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable


class RateCounters:
    """Read and count attempts; the arithmetic of windows is the caller's (services/rate_limit.py)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def count(self, code: str, scope: str, subject: str, window_start: int) -> int:
        """Attempts counted so far in the window (0 when none)."""
        item = self._table.get(keys.rate_limit(code, scope, subject), f"WINDOW#{window_start}", consistent=True)
        return int((item or {}).get("hits", 0))

    def add(self, code: str, scope: str, subject: str, window_start: int, expires_at: int) -> int:
        """Count one attempt (atomic ADD); the new total."""
        item = self._table.update(
            keys.rate_limit(code, scope, subject), f"WINDOW#{window_start}",
            "ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)",
            names={"#ttl": "ttl"}, values={":one": 1, ":ttl": expires_at})
        return int(item.get("hits", 0))
