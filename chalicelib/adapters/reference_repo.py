"""The UTM, IPC and semestral interest-rate (`TASA`) tables by month: read as the domain's
`ReferenceTables`, edited by the central administrator. An edit never overwrites history: the
previous value is kept as a `HIST#` row beside the current one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.units import ReferenceTables
from chalicelib.ttl_cache import TtlCache

TableName = Literal["UTM", "IPC", "TASA", "IMPORT_UTM", "IMPORT_IPC", "IMPORT_TASA"]


class ReferenceRepository:
    """UTM, IPC and rate records in DynamoDB (`00000#REF#UTM`, `#IPC`, `#TASA`, sk `YYYY-MM`)."""

    def __init__(self, table: DynamoTable, *, cache_ttl_s: float = 60.0) -> None:
        self._table = table
        self._cache: TtlCache[ReferenceTables] = TtlCache(cache_ttl_s)

    def tables(self) -> ReferenceTables:
        """The current tables, as the rules use them (cached briefly)."""
        return self._cache.get_or_load("tables", self._load)

    def records(self, name: TableName) -> list[dict[str, Any]]:
        """The current record of each month, oldest first."""
        return [self._public(i) for i in self._table.query_all(table_keys.reference_table(name))
                if not str(i["sk"]).startswith("HIST#")]

    def history(self, name: TableName, month: str) -> list[dict[str, Any]]:
        """Earlier values of one month, oldest first."""
        return [self._public(i) for i in self._table.query_all(table_keys.reference_table(name),
                                                                sk_prefix=f"HIST#{month}#")]

    def put(self, name: TableName, record: dict[str, Any], *, actor: str) -> dict[str, Any]:
        """Set one month's value (the caller has validated `record`), keeping the previous one."""
        pk = table_keys.reference_table(name)
        month = str(record["month"])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        new_item = {"pk": pk, "sk": month, **record, "updated_at": now, "updated_by": actor}
        previous = self._table.get(pk, month, consistent=True)
        operations: list[dict[str, Any]] = []
        if previous is None:
            operations.append({"put": new_item, "condition": "attribute_not_exists(pk)"})
        else:
            version = int(previous.get("version", 1))
            operations.append({"put": {**previous, "sk": f"HIST#{month}#{version:06d}"},
                               "condition": "attribute_not_exists(pk)"})
            operations.append({"put": {**new_item, "version": version + 1},
                               "condition": "attribute_exists(pk) AND (attribute_not_exists(version) OR version = :v)",
                               "values": {":v": version}})
        self._table.transact(operations)
        self._cache.forget()
        return self._public(new_item)

    def _load(self) -> ReferenceTables:
        return ReferenceTables.from_records(self.records("UTM"), self.records("IPC"), self.records("TASA"))

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("pk", "sk")}
