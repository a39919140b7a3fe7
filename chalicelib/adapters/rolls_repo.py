"""Roll uploads (patentes, aseo) and their rejected lines, in DynamoDB.

An upload is one record `<cut>#ROLLS` / `UPLOAD#<id>` holding its status and progress; each
rejected line is a row `<cut>#ROLL#<id>` / `ERROR#<line>`. Debts are written in transactions
that also move the upload's progress (`next`) conditionally on its previous value, so a batch is
written once even when two requests process the same upload at the same time, and each debt is
written only if its id is new in the municipality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable, Page

MAX_TRANSACTION = 100


class RollRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def create(self, code: str, record: Mapping[str, Any]) -> None:
        self._table.put_new({"pk": table_keys.roll_uploads(code), "sk": f"UPLOAD#{record['upload_id']}", **record})

    def get(self, code: str, upload_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.roll_uploads(code), f"UPLOAD#{upload_id}", consistent=True)

    def page(self, code: str, *, limit: int, cursor: str | None) -> Page:
        return self._table.query(table_keys.roll_uploads(code), sk_prefix="UPLOAD#", newest_first=True, limit=limit,
                                 cursor=cursor)

    def error_lines(self, code: str, upload_id: str, *, limit: int, cursor: str | None) -> Page:
        return self._table.query(table_keys.roll_upload_lines(code, upload_id), sk_prefix="ERROR#", limit=limit,
                                 cursor=cursor)

    def debt(self, code: str, debt_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.debt(code, debt_id), "DEBT", consistent=True)

    @staticmethod
    def error_row(code: str, upload_id: str, line: int, field: str | None, message: str) -> dict[str, Any]:
        return {"pk": table_keys.roll_upload_lines(code, upload_id), "sk": f"ERROR#{line:07d}", "line": line,
                "field": field, "message": message}

    def put_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Unconditional puts of rows whose content is fixed by the file (repeating them is harmless)."""
        for start in range(0, len(rows), MAX_TRANSACTION):
            self._table.transact([{"put": dict(r)} for r in rows[start:start + MAX_TRANSACTION]])

    def update(self, code: str, upload_id: str, fields: Mapping[str, Any], *, expect_status: str | None = None,
               expect_next: int | None = None) -> dict[str, Any]:
        """Set fields on the upload record, conditionally on its status and/or progress."""
        expression, names, values = _assignments(fields)
        conditions = []
        if expect_status is not None:
            names["#st"] = "status"
            values[":expect_status"] = expect_status
            conditions.append("#st = :expect_status")
        if expect_next is not None:
            names["#nx"] = "next"
            values[":expect_next"] = expect_next
            conditions.append("#nx = :expect_next")
        return self._table.update(table_keys.roll_uploads(code), f"UPLOAD#{upload_id}", expression,
                                  condition=" AND ".join(conditions) or "attribute_exists(pk)",
                                  names=names, values=values)

    def write_batch(self, code: str, upload_id: str, debt_rows: Sequence[Mapping[str, Any]],
                    error_rows: Sequence[Mapping[str, Any]], *, expect_next: int,
                    progress: Mapping[str, Any]) -> None:
        """One transaction: each debt only if new, the error rows, and the progress only if it is
        still `expect_next`. `ConditionFailed.reasons` says which failed: the debts come first,
        in order; the progress update is last."""
        expression, names, values = _assignments(progress)
        names["#nx"] = "next"
        values[":expect_next"] = expect_next
        operations: list[dict[str, Any]] = [{"put": dict(r), "condition": "attribute_not_exists(pk)"}
                                            for r in debt_rows]
        operations += [{"put": dict(r)} for r in error_rows]
        operations.append({"update": (table_keys.roll_uploads(code), f"UPLOAD#{upload_id}"), "expression": expression,
                           "condition": "#nx = :expect_next", "names": names, "values": values})
        self._table.transact(operations)


def _assignments(fields: Mapping[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    parts = []
    for i, (name, value) in enumerate(fields.items()):
        names[f"#f{i}"] = name
        values[f":v{i}"] = value
        parts.append(f"#f{i} = :v{i}")
    return "SET " + ", ".join(parts), names, values
