"""Writes and listings of officials (`<cut>#OFFICIALS` / e-mail), each change in one transaction
with its audit entry; a new official's record comes with the pointer from its Cognito account's
`sub` (`00000#ACCOUNT#<sub>`), by which every request finds it; the RUN each official holds
(`<cut>#OFFICIAL_RUNS`, unique per municipality) and the four-eyes proposals
(`<cut>#OFFICIAL_PROPOSALS`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable, Page
from chalicelib.adapters.officials_repo import pointer_item


class OfficialsAdminRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, code: str, email: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.officials(code), email.lower(), consistent=True)

    def page(self, code: str, *, limit: int, cursor: str | None) -> Page:
        return self._table.query(table_keys.officials(code), limit=limit, cursor=cursor)

    def create(self, code: str, record: Mapping[str, Any], audit: Mapping[str, Any],
               *, extra: Sequence[Mapping[str, Any]] = ()) -> None:
        """A new official and its account pointer (ConditionFailed when the e-mail is already an
        official here, the account already belongs to an official, or its RUN is another
        official's), with `extra` operations in the same transaction."""
        self._table.transact([
            {"put": {"pk": table_keys.officials(code), "sk": record["email"], **record},
             "condition": "attribute_not_exists(pk)"},
            {"put": pointer_item(code, record["email"], record["sub"]), "condition": "attribute_not_exists(pk)"},
            *self._run_claim(code, record),
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
            *extra,
        ])

    def run_holder(self, code: str, run: str) -> str | None:
        """The e-mail of the municipality's official who holds this (compact) RUN, if any."""
        row = self._table.get(table_keys.official_runs(code), run, consistent=True)
        return str(row["email"]) if row else None

    def set_run(self, code: str, email: str, run: str, audit: Mapping[str, Any]) -> None:
        """Give an official without a RUN its RUN (ConditionFailed when it has one already or the
        RUN is taken)."""
        self._table.transact([
            {"update": (table_keys.officials(code), email), "expression": "SET #r = :r",
             "condition": "attribute_exists(pk) AND attribute_not_exists(#r)", "names": {"#r": "run"},
             "values": {":r": run}},
            *self._run_claim(code, {"email": email, "run": run}),
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])

    @staticmethod
    def _run_claim(code: str, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        if not record.get("run"):
            return []
        return [{"put": {"pk": table_keys.official_runs(code), "sk": record["run"], "email": record["email"]},
                 "condition": "attribute_not_exists(pk)"}]

    def update(self, code: str, email: str, fields: Mapping[str, Any], *, expect: Mapping[str, Any],
               audit: Mapping[str, Any], extra: Sequence[Mapping[str, Any]] = ()) -> None:
        """Set fields if the record still has the values `expect` (ConditionFailed otherwise),
        with `extra` operations in the same transaction."""
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
            {"update": (table_keys.officials(code), email), "expression": "SET " + ", ".join(sets),
             "condition": " AND ".join(conditions), "names": names, "values": values},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
            *extra,
        ])

    # -- four-eyes proposals ----------------------------------------------------------------------

    def propose(self, code: str, proposal: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """A new pending proposal and its audit entry."""
        self._table.transact([
            {"put": {"pk": table_keys.official_proposals(code), "sk": proposal["proposal_id"], **proposal},
             "condition": "attribute_not_exists(pk)"},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])

    def proposal(self, code: str, proposal_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.official_proposals(code), proposal_id, consistent=True)

    def proposals(self, code: str, *, limit: int, cursor: str | None) -> Page:
        """The municipality's proposals, oldest first (ids sort by time)."""
        return self._table.query(table_keys.official_proposals(code), limit=limit, cursor=cursor)

    def pending_proposals(self, code: str) -> list[dict[str, Any]]:
        return [p for p in self._table.query_all(table_keys.official_proposals(code)) if p.get("status") == "pending"]

    def decision_ops(self, code: str, proposal_id: str, fields: Mapping[str, Any], audit: Mapping[str, Any]
                     ) -> list[dict[str, Any]]:
        """The operations that move a pending proposal to its decision, with its audit entry (to
        join another write's transaction): they fail the whole transaction when the proposal is no
        longer pending, so two decisions never both apply."""
        names = {f"#f{i}": name for i, name in enumerate(fields)} | {"#s": "status"}
        values = {f":v{i}": value for i, value in enumerate(fields.values())} | {":pending": "pending"}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        return [{"update": (table_keys.official_proposals(code), proposal_id), "expression": f"SET {sets}",
                 "condition": "attribute_exists(pk) AND #s = :pending", "names": names, "values": values},
                {"put": dict(audit), "condition": "attribute_not_exists(pk)"}]

    def close(self, code: str, proposal_id: str, fields: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """Decide a pending proposal without touching any official (a rejection)."""
        self._table.transact(self.decision_ops(code, proposal_id, fields, audit))
