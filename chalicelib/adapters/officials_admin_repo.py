"""Writes and listings of officials (`<cut>#OFFICIALS` / e-mail), each change in one transaction
with its audit entry; a new official's record comes with the pointer from its Cognito account's
`sub` (`00000#ACCOUNT#<sub>`), by which every request finds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable, Page
from chalicelib.adapters.officials_repo import pointer_item


class OfficialsAdminRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, code: str, email: str) -> dict[str, Any] | None:
        return self._table.get(keys.officials(code), email.lower(), consistent=True)

    def page(self, code: str, *, limit: int, cursor: str | None) -> Page:
        return self._table.query(keys.officials(code), limit=limit, cursor=cursor)

    def create(self, code: str, record: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """A new official and its account pointer (ConditionFailed when the e-mail is already an
        official here, or the account already belongs to an official)."""
        self._table.transact([
            {"put": {"pk": keys.officials(code), "sk": record["email"], **record},
             "condition": "attribute_not_exists(pk)"},
            {"put": pointer_item(code, record["email"], record["sub"]), "condition": "attribute_not_exists(pk)"},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])

    def update(self, code: str, email: str, fields: Mapping[str, Any], *, expect: Mapping[str, Any],
               audit: Mapping[str, Any]) -> None:
        """Set fields if the record still has the values `expect` (ConditionFailed otherwise)."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, conditions = [], ["attribute_exists(pk)"]
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"], values[f":v{i}"] = name, value
            sets.append(f"#f{i} = :v{i}")
        for i, (name, value) in enumerate(expect.items()):
            names[f"#e{i}"], values[f":e{i}"] = name, value
            conditions.append(f"#e{i} = :e{i}")
        self._table.transact([
            {"update": (keys.officials(code), email), "expression": "SET " + ", ".join(sets),
             "condition": " AND ".join(conditions), "names": names, "values": values},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])
