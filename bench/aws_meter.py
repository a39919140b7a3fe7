"""Counts what SEM asks of AWS, through botocore's event system (no adapter is touched).

`AwsMeter.attach(client)` registers handlers on a boto3 client's event emitter:

- `before-parameter-build.*`: the call's parameters as the adapter gave them; for DynamoDB
  writes, the item as it is before the write (read with a separate, unmetered client);
- `after-call.*`: one call of that service and operation; DynamoDB read and write request units
  computed from item sizes (below); a `Scan` is counted on its own;
- `before-send.*` (first) and `needs-retry.*`: the thread CPU time spent between them, i.e. in
  moto answering (and botocore parsing the answer), so request benchmarks can subtract it.

DynamoDB units are computed from item sizes with DynamoDB's published on-demand rules, because
moto's `ConsumedCapacity` is a fixed 0.5 or 1.0 per call whatever the item size (and nothing for
transactions):

- a write costs 1 WRU per started KB of the larger of the item before and after it; a
  transactional write twice that; a failed conditional write still costs its units;
- every global secondary index whose keys the item has costs a write of the projected item when
  what it projects changes (two when the index key changes: a delete and a put); a write that
  changes none of an index's projected attributes costs that index nothing (DynamoDB's developer
  guide, "Global secondary indexes: write activity"): a `KEYS_ONLY` index is written only when its
  keys come, go or change;
- a strongly consistent read costs 1 RRU per started 4 KB (a missing item 1), an eventually
  consistent read half; a Query is charged on the total size of the items it returns (none of
  SEM's payment-path queries filter, so that is what it reads); a transactional read twice.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_KB = 1024
_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one typed attribute value (`{"S": "…"}`, `{"M": {…}}`…)."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(inner).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(attribute_size({"N": n}) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of a whole item: attribute names plus values."""
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


@dataclass(frozen=True)
class _Index:
    name: str
    hash_key: str
    range_key: str | None
    projection: str
    included: tuple[str, ...]


@dataclass
class AwsMeter:
    """What the attached clients asked of AWS since the last `reset`."""

    calls: Counter[str] = field(default_factory=Counter)
    """`service.Operation` → calls."""
    rru: float = 0.0
    wru: float = 0.0
    scans: int = 0
    units: dict[str, float] = field(default_factory=dict)
    """`Operation` → DynamoDB request units (reads and writes) it cost."""
    index_wru: dict[str, float] = field(default_factory=dict)
    """Global secondary index → the write units of `wru` spent keeping it (hot-partition sums)."""
    log: list[dict[str, Any]] = field(default_factory=list)
    """Each DynamoDB call: operation, the items it addressed (ids generalised) and its units."""
    by_partition: dict[str, list[float]] = field(default_factory=dict)
    """Partition key (`pk`, or `<index> <index pk>` for a GSI's) → [read units, write units] spent
    on it: what bench/peak.py multiplies by the peak's rates."""
    by_item: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    """Table item (`pk`, `sk`) → [read units, write units] spent on it."""
    aws_cpu_s: float = 0.0
    """Thread CPU spent inside the AWS stand-in (moto) and botocore's parsing of its answers."""
    size_units: bool = True
    """Compute DynamoDB units (reads each written item before and after, on an unmetered client:
    turn off while measuring CPU time)."""
    _reader: Any = None
    _indexes: dict[str, tuple[tuple[str, ...], list[_Index]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.units.clear()
            self.index_wru.clear()
            self.log.clear()
            self.by_partition.clear()
            self.by_item.clear()
            self.rru = self.wru = self.aws_cpu_s = 0.0
            self.scans = 0

    def attach(self, client: Any, reader: Any = None) -> None:
        """Meter `client`. For DynamoDB, `reader` is an unmetered client on the same endpoint."""
        if reader is not None:
            self._reader = reader
        events = client.meta.events
        events.register("before-parameter-build", self._before)
        events.register("after-call", self._after)
        events.register_first("before-send", self._send_started)
        events.register("needs-retry", self._send_ended)

    def snapshot(self) -> dict[str, Any]:
        """The counts, by service and by operation."""
        by_service: Counter[str] = Counter()
        for name, count in self.calls.items():
            by_service[name.split(".", 1)[0]] += count
        return {"calls_by_service": dict(sorted(by_service.items())),
                "calls_by_operation": dict(sorted(self.calls.items())),
                "ddb_units_by_operation": {k: round(v, 2) for k, v in sorted(self.units.items())},
                "ddb_index_wru": {k: round(v, 2) for k, v in sorted(self.index_wru.items())},
                "ddb_rru": round(self.rru, 2), "ddb_wru": round(self.wru, 2), "scans": self.scans,
                "ddb_calls": list(self.log)}

    # -- handlers -----------------------------------------------------------------------------------

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.size_units or model.service_model.service_name != "dynamodb":
            return
        name = model.name
        if name in _WRITES:
            context["bench_old"] = [self._current(params["TableName"], params.get("Key") or
                                                  self._key_of(params["TableName"], params["Item"]))]
        elif name == "TransactWriteItems":
            old = []
            for entry in params["TransactItems"]:
                op, body = next(iter(entry.items()))
                key = body.get("Key") or self._key_of(body["TableName"], body.get("Item", {}))
                old.append(self._current(body["TableName"], key) if op != "ConditionCheck" else None)
            context["bench_old"] = old
        context["bench_params"] = params

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
               **_: Any) -> None:
        service = model.service_model.service_name
        with self._lock:
            self.calls[f"{service}.{model.name}"] += 1
        if service == "dynamodb" and model.name == "Scan":
            with self._lock:
                self.scans += 1
        if service != "dynamodb" or not self.size_units:
            return
        params = context.get("bench_params", {})
        failed = "Error" in parsed
        rru, wru = self._units(model.name, params, parsed, context.get("bench_old", []), failed)
        with self._lock:
            self.rru += rru
            self.wru += wru
            self.units[model.name] = self.units.get(model.name, 0.0) + rru + wru
            self.log.append({"operation": model.name, "items": _addressed(model.name, params),
                             "rru": round(rru, 2), "wru": round(wru, 2), **({"failed": True} if failed else {})})

    def _send_started(self, request: Any, **_: Any) -> None:
        request.context["bench_cpu"] = time.thread_time()

    def _send_ended(self, request_dict: dict[str, Any], **_: Any) -> None:
        started = request_dict.get("context", {}).pop("bench_cpu", None)
        if started is not None:
            with self._lock:
                self.aws_cpu_s += time.thread_time() - started

    # -- DynamoDB units -----------------------------------------------------------------------------

    def _units(self, operation: str, params: dict[str, Any], parsed: dict[str, Any],
               old: list[dict[str, Any] | None], failed: bool) -> tuple[float, float]:
        if operation == "GetItem":
            rru = _read_units([parsed.get("Item")], params.get("ConsistentRead", False))
            self._spent(params["Key"], None, rru, 0.0)
            return rru, 0.0
        if operation in ("Query", "Scan"):
            rru = _read_units(parsed.get("Items", []), params.get("ConsistentRead", False), as_one=True)
            pk = params.get("ExpressionAttributeValues", {}).get(":pk")
            if operation == "Query" and pk is not None:
                self._spent({"pk": pk}, params.get("IndexName"), rru, 0.0)
            return rru, 0.0
        if operation == "BatchGetItem":
            items = [i for found in parsed.get("Responses", {}).values() for i in found]
            for i in items:
                self._spent(i, None, _read_units([i], False), 0.0)
            return sum(_read_units([i], False) for i in items), 0.0
        if operation == "TransactGetItems":
            for entry, r in zip(params.get("TransactItems", []), parsed.get("Responses", []), strict=False):
                self._spent(entry["Get"]["Key"], None, 2 * _read_units([r.get("Item")], True), 0.0)
            return sum(2 * _read_units([r.get("Item")], True) for r in parsed.get("Responses", [])), 0.0
        if operation in _WRITES:
            table = params["TableName"]
            key = params.get("Key") or self._key_of(table, params["Item"])
            return 0.0, self._write_units(table, old[0] if old else None, key, failed, params.get("Item"), 1)
        if operation == "TransactWriteItems":
            total = 0.0
            for entry, before in zip(params["TransactItems"], old, strict=True):
                op, body = next(iter(entry.items()))
                if op == "ConditionCheck":
                    checked = 2 * max(1, math.ceil(item_size(self._current(body["TableName"], body["Key"])) / _KB))
                    self._spent(body["Key"], None, 0.0, checked)
                    total += checked
                    continue
                key = body.get("Key") or self._key_of(body["TableName"], body["Item"])
                total += 2 * self._write_units(body["TableName"], before, key, failed, body.get("Item"), 2)
            return 0.0, total
        if operation == "BatchWriteItem":
            total = 0.0
            for table, requests in params.get("RequestItems", {}).items():
                for request in requests:
                    item = request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get("Key")
                    total += max(1, math.ceil(item_size(item) / _KB)) * (1 + len(self._table(table)[1]))
            return 0.0, total
        return 0.0, 0.0

    def _write_units(self, table: str, before: dict[str, Any] | None, key: dict[str, Any], failed: bool,
                     put: dict[str, Any] | None, factor: int) -> float:
        after = before if failed else (put if put is not None else self._current(table, key))
        units = float(max(1, math.ceil(max(item_size(before), item_size(after)) / _KB)))
        self._spent(key, None, 0.0, units * factor)
        if failed:
            return units
        _, indexes = self._table(table)
        table_keys = self._table(table)[0]
        for index in indexes:
            old_keys = _index_key(index, before)
            new_keys = _index_key(index, after)
            spent = 0
            for keys, item in ((new_keys, after), (old_keys if old_keys != new_keys else None, before)):
                if keys is None:
                    continue  # a put on the new key's partition, a delete on the old one's
                if keys == old_keys == new_keys and _projection(index, before, table_keys) \
                        == _projection(index, after, table_keys):
                    continue  # nothing the index holds changed: DynamoDB does not write it
                written = max(1, math.ceil(_projected(index, item, self._table(table)[0]) / _KB))
                spent += written
                self._spent({"pk": item[index.hash_key]}, index.name, 0.0, written * factor)  # type: ignore[index]
            units += spent
            if spent:
                with self._lock:
                    self.index_wru[index.name] = self.index_wru.get(index.name, 0.0) + spent * factor
        return units

    def _spent(self, key: dict[str, Any], index: str | None, rru: float, wru: float) -> None:
        """Add units to the partition (and, for the table, the item) they were spent on."""
        pk = str(next(iter(key.get("pk", {"S": "?"}).values())))
        partition = pk if index is None else f"{index} {pk}"
        with self._lock:
            spent = self.by_partition.setdefault(partition, [0.0, 0.0])
            spent[0] += rru
            spent[1] += wru
            if index is None and "sk" in key:  # a Query names its partition, not its items
                sk = str(next(iter(key["sk"].values())))
                on_item = self.by_item.setdefault((pk, sk), [0.0, 0.0])
                on_item[0] += rru
                on_item[1] += wru

    def _table(self, table: str) -> tuple[tuple[str, ...], list[_Index]]:
        if table not in self._indexes:
            described = self._reader.describe_table(TableName=table)["Table"]
            keys = tuple(k["AttributeName"] for k in described["KeySchema"])
            indexes = []
            for gsi in described.get("GlobalSecondaryIndexes", []):
                schema = {k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]}
                projection = gsi.get("Projection", {})
                indexes.append(_Index(gsi["IndexName"], schema["HASH"], schema.get("RANGE"),
                                      projection.get("ProjectionType", "ALL"),
                                      tuple(projection.get("NonKeyAttributes", ()))))
            self._indexes[table] = (keys, indexes)
        return self._indexes[table]

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._table(table)[0] if name in item}

    def _current(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return found


def _read_units(items: list[dict[str, Any] | None], consistent: bool, *, as_one: bool = False) -> float:
    factor = 1.0 if consistent else 0.5
    if as_one:
        return factor * max(1, math.ceil(sum(item_size(i) for i in items) / (4 * _KB)))
    return sum(factor * max(1, math.ceil(item_size(i) / (4 * _KB))) for i in items) if items else factor


def _index_key(index: _Index, item: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if not item or index.hash_key not in item or (index.range_key and index.range_key not in item):
        return None
    return (str(item[index.hash_key]), str(item.get(index.range_key or "", "")))


def _projection(index: _Index, item: dict[str, Any] | None, table_keys: tuple[str, ...]) -> dict[str, Any]:
    """The part of `item` the index holds."""
    if item is None:
        return {}
    if index.projection == "ALL":
        return item
    wanted = {*table_keys, index.hash_key, index.range_key or "", *index.included}
    return {k: v for k, v in item.items() if k in wanted}


def _projected(index: _Index, item: dict[str, Any] | None, table_keys: tuple[str, ...]) -> int:
    return item_size(_projection(index, item, table_keys))


def _generalised(key: dict[str, Any] | None) -> str:
    """`pk / sk` of a key with ids and times replaced by placeholders (`13101#PAY#… / META`)."""
    if not key:
        return "?"
    parts = []
    for name in ("pk", "sk"):
        value = str(next(iter(key.get(name, {"S": ""}).values())))
        value = re.sub(r"20\d\d-\d\d-\d\dT[\d:.]+Z?", "<utc>", value)
        value = re.sub(r"(PAY#)[0-9A-Za-z-]{12,}", r"\1<id>", value)
        value = re.sub(r"#[0-9A-Za-z]{14,}", "#<id>", value)
        parts.append(value)
    return " / ".join(parts)


def _addressed(operation: str, params: dict[str, Any]) -> list[str]:
    """The items (or the partition) one DynamoDB call addressed, generalised."""
    if operation == "TransactWriteItems":
        out = []
        for entry in params.get("TransactItems", []):
            op, body = next(iter(entry.items()))
            out.append(f"{op} {_generalised(body.get('Key') or body.get('Item'))}")
        return out
    if operation == "Query":
        values = params.get("ExpressionAttributeValues", {})
        return [f"{params.get('IndexName', 'table')} {next(iter(values.get(':pk', {'S': '?'}).values()))}"]
    return [_generalised(params.get("Key") or params.get("Item"))]
