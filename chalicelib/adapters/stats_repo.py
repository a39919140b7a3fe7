"""The daily counters the gateway maintains (`<cut>#STATS#<day>`) and the closed-month summaries
the reports derive from them once (`<cut>#STATSY#<year>`, sk `YYYY-MM`). Reads are one Query per
day or per year; nothing here scans."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed


class StatsRepository:
    """Counter cells and month summaries of a municipality, or of the platform (`00000`)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def day_cells(self, owner: str, day: str) -> list[dict[str, Any]]:
        """Every counter of one day: sk `<service>#<method>` (platform: `<cut>#<service>#<method>`)."""
        return list(self._table.query_all(keys.stats(owner, day), limit=1000))

    def month_summaries(self, owner: str, year: int, first_month: str, last_month: str) -> list[dict[str, Any]]:
        """The stored summaries of the months `first_month`..`last_month` (`YYYY-MM`) of one year."""
        return list(self._table.query_all(keys.stats_rollup(owner, year), sk_between=(first_month, last_month),
                                          limit=12))

    def put_month_summary(self, owner: str, month: str, summary: Mapping[str, Any]) -> None:
        """Store a closed month's summary once (a concurrent writer's copy is the same: kept)."""
        item = {"pk": keys.stats_rollup(owner, int(month[:4])), "sk": month, **summary}
        with contextlib.suppress(ConditionFailed):
            self._table.put_new(item)
