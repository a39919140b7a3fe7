"""Fixed-window attempt counters in the data table, one item per (municipality, scope, subject,
window), removed by DynamoDB's TTL once the window is over."""

from __future__ import annotations

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed


class RateCounters:
    """Take and give back attempts; the arithmetic of windows is the caller's (services/rate_limit.py)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def take(self, code: str, scope: str, subject: str, window_start: int, expires_at: int, limit: int) -> bool:
        """Count one attempt if the window has fewer than `limit`: one conditional ADD, so that
        concurrent attempts can never take more than `limit` between them. False when used up."""
        try:
            self._table.update(
                table_keys.rate_limit(code, scope, subject), f"WINDOW#{window_start}",
                "ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)",
                condition="attribute_not_exists(hits) OR hits < :limit",
                names={"#ttl": "ttl"}, values={":one": 1, ":ttl": expires_at, ":limit": limit})
        except ConditionFailed:
            return False
        return True

    def give_back(self, code: str, scope: str, subject: str, window_start: int) -> None:
        """Uncount one attempt taken in that window (it turned out not to be a failure)."""
        try:
            self._table.update(table_keys.rate_limit(code, scope, subject), f"WINDOW#{window_start}",
                               "ADD hits :minus", condition="hits > :zero", values={":minus": -1, ":zero": 0})
        except ConditionFailed:
            return
