"""Settlement files, reconciliation runs and discrepancies in DynamoDB.

- `<cut>#SETTLE#<day>`: `FILE#<sha256>` one per distinct file (claimed with a conditional put, so the
  same bytes twice are one file), `HEAD` the day's version counter.
- `<cut>#RECON#<day>`: `RUN#<utc>#<n>` one per reconciliation run (append-only), `DISC#<id>` a
  discrepancy (created once; its status moves only by a conditional write with its event in the
  same transaction), `DISC#<id>#EV#<utc>#<n>` its events: detection, comments, resolution.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed
from chalicelib.domain.payments import utc_key

_seq = itertools.count()


def _stamp(at: str) -> str:
    return f"{utc_key(at)}#{next(_seq) % 1000:03d}"


class ReconciliationRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- settlement files ------------------------------------------------------------------------

    def claim_file(self, code: str, day: str, sha: str, record: Mapping[str, Any]) -> dict[str, Any] | None:
        """Record a file seen for the first time; returns the existing record when it was seen before."""
        item = {"pk": table_keys.settlement(code, day), "sk": f"FILE#{sha}", "sha256": sha, **record}
        try:
            self._table.put_new(item)
        except ConditionFailed:
            return self._table.get(table_keys.settlement(code, day), f"FILE#{sha}", consistent=True)
        return None

    def next_version(self, code: str, day: str) -> int:
        """The day's next version number (a skipped number means a crash between two steps)."""
        item = self._table.update(table_keys.settlement(code, day), "HEAD", "ADD versions :one", values={":one": 1})
        return int(item["versions"])

    def update_file(self, code: str, day: str, sha: str, fields: Mapping[str, Any], *,
                    from_status: str | None = None) -> None:
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":v{i}": value for i, value in enumerate(fields.values())}
        condition = None
        if from_status is not None:
            names["#s"] = "status"
            values[":from"] = from_status
            condition = "#s = :from"
        self._table.update(table_keys.settlement(code, day), f"FILE#{sha}",
                           "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                           condition=condition, names=names, values=values, return_new=False)

    def files(self, code: str, day: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(table_keys.settlement(code, day), sk_prefix="FILE#", consistent=True))

    def poll_marker(self, code: str) -> str:
        """Last-modified time (UTC) up to which the local poller has ingested the municipality's files."""
        item = self._table.get(table_keys.settlement_poll(code), "MARKER", consistent=True)
        return str(item["last_modified"]) if item else ""

    def set_poll_marker(self, code: str, last_modified: str) -> None:
        """Move the marker forward only (a slower poller never moves it back)."""
        with contextlib.suppress(ConditionFailed):
            self._table.put({"pk": table_keys.settlement_poll(code), "sk": "MARKER", "last_modified": last_modified},
                            condition="attribute_not_exists(pk) OR last_modified < :m", values={":m": last_modified})

    # -- runs ------------------------------------------------------------------------------------

    def add_run(self, code: str, day: str, run: Mapping[str, Any]) -> dict[str, Any]:
        item = {"pk": table_keys.reconciliation(code, day), "sk": f"RUN#{_stamp(str(run['at']))}", **run}
        self._table.put_new(item)
        return item

    def latest_run(self, code: str, day: str) -> dict[str, Any] | None:
        page = self._table.query(table_keys.reconciliation(code, day), sk_prefix="RUN#", newest_first=True, limit=1,
                                 consistent=True)
        return page.items[0] if page.items else None

    # -- discrepancies ---------------------------------------------------------------------------

    def discrepancies(self, code: str, day: str) -> list[dict[str, Any]]:
        """Every discrepancy of the day, each with its events (oldest first), in one Query."""
        rows = list(self._table.query_all(table_keys.reconciliation(code, day), sk_prefix="DISC#", consistent=True,
                                          limit=500))
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            parts = str(row["sk"]).split("#")
            if len(parts) == 2:
                found[parts[1]] = {**_public(row), "events": []}
        for row in rows:
            parts = str(row["sk"]).split("#")
            if len(parts) > 2 and parts[1] in found:
                found[parts[1]]["events"].append(_public(row))
        return list(found.values())

    def get(self, code: str, day: str, discrepancy_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.reconciliation(code, day), f"DISC#{discrepancy_id}", consistent=True)

    def event_row(self, code: str, day: str, discrepancy_id: str, at: str, kind: str,
                  detail: Mapping[str, Any]) -> dict[str, Any]:
        return {"pk": table_keys.reconciliation(code, day), "sk": f"DISC#{discrepancy_id}#EV#{_stamp(at)}",
                "type": kind, "at": at, **detail}

    def create(self, code: str, day: str, record: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
        """Create a discrepancy with its first event; False when it already exists."""
        item = {"pk": table_keys.reconciliation(code, day), "sk": f"DISC#{record['discrepancy_id']}", **record}
        try:
            self._table.transact([{"put": item, "condition": "attribute_not_exists(pk)"}, {"put": dict(event)}])
        except ConditionFailed:
            return False
        return True

    def transition(self, code: str, day: str, discrepancy_id: str, *, from_status: Sequence[str], to_status: str,
                   event: Mapping[str, Any], set_fields: Mapping[str, Any] | None = None) -> None:
        """Move a discrepancy's status (ConditionFailed when it is not in one of `from_status`)."""
        names = {"#s": "status"}
        values: dict[str, Any] = {":to": to_status}
        allowed = []
        for i, status in enumerate(from_status):
            values[f":from{i}"] = status
            allowed.append(f":from{i}")
        assignments = ["#s = :to"]
        for i, (name, value) in enumerate((set_fields or {}).items()):
            names[f"#f{i}"] = name
            values[f":v{i}"] = value
            assignments.append(f"#f{i} = :v{i}")
        self._table.transact([
            {"update": (table_keys.reconciliation(code, day), f"DISC#{discrepancy_id}"),
             "expression": "SET " + ", ".join(assignments), "condition": f"#s IN ({', '.join(allowed)})",
             "names": names, "values": values},
            {"put": dict(event)},
        ])

    def append_event(self, event: Mapping[str, Any]) -> None:
        self._table.put_new(event)


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("pk", "sk")}
