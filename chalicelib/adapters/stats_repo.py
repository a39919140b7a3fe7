"""The daily counters updated with every paid payment and every refund, and the closed-month
summaries the reports derive from them once (`<cut>#STATSY#<year>`, sk `YYYY-MM`).

- A municipality's day: `<cut>#STATS#<day>`, sk `<service>#<method>` (refunds: `<service>#refund`).
- The platform's day: the same cells with the municipality in front (`<cut>#<service>#<method>`),
  spread over `PLATFORM_SHARDS` write shards (`00000#STATS#<day>#<n>`), the shard chosen from the
  payment id. Every payment of the country updates them: at ten times the end-of-March peak one
  partition would take ~40 % of DynamoDB's per-partition write limit (docs/capacity.md). A read
  queries each shard and sums the cells by sort key, so callers see one item per cell as before.

Reads are one Query per day (the platform: one per shard) or per year; nothing here scans."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed

PLATFORM: Final = table_keys.PLATFORM
PLATFORM_SHARDS: Final = 4
"""Write shards of the platform's day counters: the peak model (bench/peak.py) needs 2 for the
busiest hour at ten times the national peak; 4 also keeps the busiest minutes (twice the hour's
rate) and two-service carts under a third of the partition limit."""

_KEY_NAMES: Final = frozenset({"pk", "sk"})


def shard_of(seed: str, shards: int = PLATFORM_SHARDS) -> int:
    """The write shard of `seed` (a payment id): stable, so every write of one payment — a retried
    transaction, its refund — lands on the same shard; uniform, so the shards share the load."""
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % shards


def sum_cells(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The shards' items merged by sort key, every numeric attribute summed (sorted by sk)."""
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
    def paid_operations(code: str, day: str, payment_id: str,
                        cells: Mapping[tuple[str, str], tuple[int, int]]) -> list[dict[str, Any]]:
        """The counter updates of one paid payment, for the transaction that marks it paid:
        `cells` maps (service, method) to (amount, items); each cell also counts one payment, in
        the municipality's day and in the payment's shard of the platform's day."""
        operations: list[dict[str, Any]] = []
        for pk, prefix in ((table_keys.stats(code, day), ""), (table_keys.stats_shard(day, shard_of(payment_id)),
                                                               f"{code}#")):
            for (service, method), (amount, items) in sorted(cells.items()):
                operations.append({"update": (pk, f"{prefix}{service}#{method}"),
                                   "expression": "ADD #amount :a, #items :n, #payments :one",
                                   "names": {"#amount": "amount", "#items": "items", "#payments": "payments"},
                                   "values": {":a": int(amount), ":n": int(items), ":one": 1}})
        return operations

    @staticmethod
    def refund_operations(code: str, day: str, payment_id: str, by_service: Mapping[str, int],
                          line: str) -> list[dict[str, Any]]:
        """The counter updates of one refund or reversal of a payment (`by_service`: pesos given
        back per service), for the transaction that closes it: cell `<service>#<line>` takes the
        negative amount and one more `refunds`, in the municipality's and the platform's day."""
        operations: list[dict[str, Any]] = []
        for pk, prefix in ((table_keys.stats(code, day), ""), (table_keys.stats_shard(day, shard_of(payment_id)),
                                                               f"{code}#")):
            for service, amount in sorted(by_service.items()):
                operations.append({"update": (pk, f"{prefix}{service}#{line}"),
                                   "expression": "ADD #amount :a, #refunds :one",
                                   "names": {"#amount": "amount", "#refunds": "refunds"},
                                   "values": {":a": -int(amount), ":one": 1}})
        return operations

    # -- reads -----------------------------------------------------------------------------------

    def day_cells(self, owner: str, day: str) -> list[dict[str, Any]]:
        """Every counter of one day, one dict per cell (`sk` and its summed figures): sk
        `<service>#<method>`; the platform's `<cut>#<service>#<method>`, its shards summed."""
        if owner != PLATFORM:
            return sum_cells(self._table.query_all(table_keys.stats(owner, day), limit=1000))
        return sum_cells(item for shard in range(PLATFORM_SHARDS)
                         for item in self._table.query_all(table_keys.stats_shard(day, shard), limit=1000))

    def month_summaries(self, owner: str, year: int, first_month: str, last_month: str) -> list[dict[str, Any]]:
        """The stored summaries of the months `first_month`..`last_month` (`YYYY-MM`) of one year."""
        return list(self._table.query_all(table_keys.stats_rollup(owner, year), sk_between=(first_month, last_month),
                                          limit=12))

    def put_month_summary(self, owner: str, month: str, summary: Mapping[str, Any]) -> None:
        """Store a closed month's summary once (a concurrent writer's copy is the same: kept)."""
        item = {"pk": table_keys.stats_rollup(owner, int(month[:4])), "sk": month, **summary}
        with contextlib.suppress(ConditionFailed):
            self._table.put_new(item)
