"""The daily counters updated with every paid payment and every refund, and the summaries the
reports derive from them once (`<cut>#STATSY#<year>`: a closed month, sk `YYYY-MM`; the
platform's closed days of a month not yet closed, sk `DAY#YYYY-MM-DD`).

- A municipality's day: `<cut>#STATS#<day>`, sk `<service>#<method>` (refunds: `<service>#refund`),
  written in the transaction that marks a payment paid (or closes a refund).
- The platform's day is not written: it is the sum of the municipalities' days, derived when read
  (`day_cells("00000", …)`: each municipality of the platform's list, its cells under
  `<cut>#<service>#<method>`). Writing it too cost every payment of the country a transactional
  write on one national partition — the hottest key at the peak (docs/capacity.md) — for a figure
  the municipalities' counters already hold; the central report reads it a few times a day, and
  its closed months and days from stored summaries.

Reads are one Query per day and municipality, or per year; nothing here scans."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed

PLATFORM: Final = table_keys.PLATFORM
DAY_SUMMARY: Final = "DAY#"
"""Sort key prefix of a stored day summary in `<owner>#STATSY#<year>` (after every `YYYY-MM`)."""

_KEY_NAMES: Final = frozenset({"pk", "sk"})


def sum_cells(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Items merged by sort key, every numeric attribute summed (sorted by sk)."""
    merged: dict[str, dict[str, Any]] = {}
    for item in items:
        sk = str(item["sk"])
        cell = merged.setdefault(sk, {"sk": sk})
        for name, value in item.items():
            if name in _KEY_NAMES or isinstance(value, bool) or not isinstance(value, int | Decimal):
                continue
            cell[name] = cell.get(name, 0) + int(value)
    return [merged[sk] for sk in sorted(merged)]


class StatsRepository:
    """Counter cells and month summaries of a municipality, or of the platform (`00000`)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- the writes, as steps of the caller's transaction ------------------------------------------

    @staticmethod
    def paid_operations(code: str, day: str, cells: Mapping[tuple[str, str], tuple[int, int]]) -> list[dict[str, Any]]:
        """The counter updates of one paid payment, for the transaction that marks it paid:
        `cells` maps (service, method) to (amount, items); each cell also counts one payment in
        the municipality's day."""
        return [{"update": (table_keys.stats(code, day), f"{service}#{method}"),
                 "expression": "ADD #amount :a, #items :n, #payments :one",
                 "names": {"#amount": "amount", "#items": "items", "#payments": "payments"},
                 "values": {":a": int(amount), ":n": int(items), ":one": 1}}
                for (service, method), (amount, items) in sorted(cells.items())]

    @staticmethod
    def refund_operations(code: str, day: str, by_service: Mapping[str, int], line: str) -> list[dict[str, Any]]:
        """The counter updates of one refund or reversal of a payment (`by_service`: pesos given
        back per service), for the transaction that closes it: cell `<service>#<line>` of the
        municipality's day takes the negative amount and one more `refunds`."""
        return [{"update": (table_keys.stats(code, day), f"{service}#{line}"),
                 "expression": "ADD #amount :a, #refunds :one",
                 "names": {"#amount": "amount", "#refunds": "refunds"},
                 "values": {":a": -int(amount), ":one": 1}}
                for service, amount in sorted(by_service.items())]

    # -- reads -----------------------------------------------------------------------------------

    def day_cells(self, owner: str, day: str) -> list[dict[str, Any]]:
        """Every counter of one day, one dict per cell (`sk` and its summed figures): sk
        `<service>#<method>`; the platform's, derived from every municipality's day (one Query
        each, in turn: the reports fan out in parallel themselves), `<cut>#<service>#<method>`."""
        if owner != PLATFORM:
            return sum_cells(self._table.query_all(table_keys.stats(owner, day), limit=1000))
        return [{**cell, "sk": f"{code}#{cell['sk']}"} for code in self.municipality_codes()
                for cell in self.day_cells(code, day)]

    def municipality_codes(self) -> list[str]:
        """The codes of the platform's municipalities (its list, `GET /v1/municipalities`): whose
        days make the platform's."""
        return sorted(str(item["sk"]) for item in self._table.query_all(table_keys.municipality_index(), limit=1000))

    def month_summaries(self, owner: str, year: int, first_month: str, last_month: str) -> list[dict[str, Any]]:
        """The stored summaries of the months `first_month`..`last_month` (`YYYY-MM`) of one year
        (the day summaries of the same partition sort after every month: never among them)."""
        return list(self._table.query_all(table_keys.stats_rollup(owner, year), sk_between=(first_month, last_month),
                                          limit=12))

    def put_month_summary(self, owner: str, month: str, summary: Mapping[str, Any]) -> None:
        """Store a closed month's summary once (a concurrent writer's copy is the same: kept)."""
        item = {"pk": table_keys.stats_rollup(owner, int(month[:4])), "sk": month, **summary}
        with contextlib.suppress(ConditionFailed):
            self._table.put_new(item)

    def day_summaries(self, owner: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """The stored summaries of the days `first_day`..`last_day` (`YYYY-MM-DD`, one year)."""
        return list(self._table.query_all(table_keys.stats_rollup(owner, int(first_day[:4])),
                                          sk_between=(f"{DAY_SUMMARY}{first_day}", f"{DAY_SUMMARY}{last_day}"),
                                          limit=366))

    def put_day_summary(self, owner: str, day: str, summary: Mapping[str, Any]) -> None:
        """Store a closed day's summary once (a concurrent writer's copy is the same: kept)."""
        item = {"pk": table_keys.stats_rollup(owner, int(day[:4])), "sk": f"{DAY_SUMMARY}{day}", **summary}
        with contextlib.suppress(ConditionFailed):
            self._table.put_new(item)
