"""Writes to municipalities' configuration, index entry and portal keys, each change in one
transaction with its audit entry.

The configuration (`<cut>#MUNI` / `CONFIG`) carries a `version` that every change increments
conditionally (optimistic concurrency: two officials editing at once cannot overwrite each other
silently). The platform's index entry (`00000#MUNICIPALITIES` / `<cut>`) repeats what the public
list and the central console need (name, region, services, enabled, agreement) and is written in
the same transaction as the configuration, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable, Page, set_remove_expression

INDEX_FIELDS = ("name", "region", "services", "enabled", "agreement")


class MunicipalityAdminRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def config(self, code: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.municipality(code), "CONFIG", consistent=True)

    def index_entry(self, code: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.municipality_index(), code, consistent=True)

    def index_page(self, *, limit: int, cursor: str | None) -> Page:
        return self._table.query(table_keys.municipality_index(), limit=limit, cursor=cursor)

    def portal_keys(self, code: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(table_keys.municipality(code), sk_prefix="PORTAL_KEY#", consistent=True))

    def create(self, config: Mapping[str, Any], index_entry: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """A new municipality: configuration and index entry, both only if new (else ConditionFailed)."""
        code = config["code"]
        self._table.transact([
            {"put": {"pk": table_keys.municipality(code), "sk": "CONFIG", **config, "version": 1},
             "condition": "attribute_not_exists(pk)"},
            {"put": {"pk": table_keys.municipality_index(), "sk": code, **index_entry},
             "condition": "attribute_not_exists(pk)"},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])

    def update(self, code: str, fields: Mapping[str, Any], *, expect_version: int, audit: Mapping[str, Any],
               remove: Sequence[str] = (), index_fields: Mapping[str, Any] | None = None) -> None:
        """Set (and remove) configuration fields if the version is still `expect_version`; the index
        entry's fields too when given. ConditionFailed when someone changed it first."""
        expression, names, values = set_remove_expression(fields, remove, leading=["#ver = :next"])
        names["#ver"] = "version"
        values.update({":expect": expect_version, ":next": expect_version + 1})
        condition = "attribute_exists(pk) AND " + (
            "(attribute_not_exists(#ver) OR #ver = :expect)" if expect_version <= 1 else "#ver = :expect")
        operations: list[dict[str, Any]] = [{
            "update": (table_keys.municipality(code), "CONFIG"), "expression": expression, "condition": condition,
            "names": names, "values": values}]
        if index_fields:
            inames = {f"#i{i}": name for i, name in enumerate(index_fields)}
            ivalues = {f":i{i}": value for i, value in enumerate(index_fields.values())}
            operations.append({"update": (table_keys.municipality_index(), code),
                               "expression": "SET " + ", ".join(f"#i{i} = :i{i}" for i in range(len(index_fields))),
                               "condition": "attribute_exists(pk)", "names": inames, "values": ivalues})
        operations.append({"put": dict(audit), "condition": "attribute_not_exists(pk)"})
        self._table.transact(operations)

    def revoke_portal_keys(self, code: str, key_ids: Sequence[str], *, at: str, audit: Mapping[str, Any]) -> None:
        """Mark active keys revoked (each only if still active), with the audit entry."""
        operations: list[dict[str, Any]] = [
            {"update": (table_keys.municipality(code), f"PORTAL_KEY#{key_id}"),
             "expression": "SET #s = :revoked, revoked_at = :at", "condition": "#s = :active",
             "names": {"#s": "status"}, "values": {":revoked": "revoked", ":active": "active", ":at": at}}
            for key_id in key_ids]
        operations.append({"put": dict(audit), "condition": "attribute_not_exists(pk)"})
        for start in range(0, len(operations), 100):
            self._table.transact(operations[start:start + 100])
