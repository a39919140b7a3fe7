"""Electronic-signature records: officials' enrollments, certificate status, signed batches and
agreements. Every state change is one conditional write or transaction, with its audit row.

- `<cut>#SIGNER#<email>` / `ENROLLMENT`: the official's current enrollment (key, certificate
  serial, encrypted TOTP secret, attempt counters); `CERT#<serial>`: each certificate issued.
- `00000#CERT#<serial>` / `STATUS`: good or revoked (time, reason) — the status route's answer.
- `<cut>#BATCH#<day>` / `SIGNED#<nnn>`: a signed batch (001) and its corrections, written once.
- `<cut>#AGREEMENTS` / `<agreement id>`: an agreement and its signatures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable

ENROLLMENT = "ENROLLMENT"
STATUS = "STATUS"


class SignaturesRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- enrollments -----------------------------------------------------------------------------

    def enrollment(self, code: str, email: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.signer(code, email), ENROLLMENT, consistent=True)

    def save_enrollment(self, code: str, email: str, record: Mapping[str, Any], *, expect_version: int | None,
                        certificate_status: Mapping[str, Any], audit: Mapping[str, Any],
                        revoke: Mapping[str, Any] | None = None) -> None:
        """Write a new enrollment (or replace the one at `expect_version`), the new certificate's
        status row, its history row and the audit entry; `revoke` marks the replaced certificate's
        status revoked in the same transaction. ConditionFailed when someone changed it first."""
        pk = table_keys.signer(code, email)
        condition = "attribute_not_exists(pk)" if expect_version is None else "#v = :v"
        ops: list[dict[str, Any]] = [
            {"put": {"pk": pk, "sk": ENROLLMENT, **record}, "condition": condition,
             **({} if expect_version is None else {"names": {"#v": "version"}, "values": {":v": expect_version}})},
            {"put": {"pk": pk, "sk": f"CERT#{certificate_status['serial']}", **certificate_status},
             "condition": "attribute_not_exists(pk)"},
            {"put": {"pk": table_keys.certificate_status(str(certificate_status["serial"])), "sk": STATUS,
                     **certificate_status}, "condition": "attribute_not_exists(pk)"},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ]
        if revoke is not None:
            ops.append(self._revoke_op(revoke))
        self._table.transact(ops)

    def update_enrollment(self, code: str, email: str, fields: Mapping[str, Any], *, expect: Mapping[str, Any],
                          audit: Mapping[str, Any] | None = None, revoke: Mapping[str, Any] | None = None,
                          remove: Sequence[str] = ()) -> None:
        """Set `fields` if the record still has the values in `expect` (ConditionFailed otherwise)."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, conditions = [], ["attribute_exists(pk)"]
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"], values[f":f{i}"] = name, value
            sets.append(f"#f{i} = :f{i}")
        for i, (name, value) in enumerate(expect.items()):
            names[f"#e{i}"], values[f":e{i}"] = name, value
            conditions.append(f"#e{i} = :e{i}")
        expression = "SET " + ", ".join(sets)
        if remove:
            for i, name in enumerate(remove):
                names[f"#r{i}"] = name
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        ops: list[dict[str, Any]] = [{"update": (table_keys.signer(code, email), ENROLLMENT), "expression": expression,
                                      "condition": " AND ".join(conditions), "names": names, "values": values}]
        if revoke is not None:
            ops.append(self._revoke_op(revoke))
        if audit is not None:
            ops.append({"put": dict(audit), "condition": "attribute_not_exists(pk)"})
        self._table.transact(ops)

    def otp_success(self, code: str, email: str, step: int) -> None:
        """Record a used code's time step (a code is accepted once: ConditionFailed on a replay)."""
        self._table.update(
            table_keys.signer(code, email), ENROLLMENT, "SET otp_last_step = :s, otp_failures = :zero",
            condition="attribute_exists(pk) AND (attribute_not_exists(otp_last_step) OR otp_last_step < :s)",
            values={":s": step, ":zero": 0}, return_new=False)

    def otp_failure(self, code: str, email: str) -> int:
        """Count a wrong code; returns the failures so far."""
        item = self._table.update(table_keys.signer(code, email), ENROLLMENT, "ADD otp_failures :one",
                                  condition="attribute_exists(pk)", values={":one": 1})
        return int(item.get("otp_failures", 1))

    def otp_lock(self, code: str, email: str, until: str) -> None:
        self._table.update(table_keys.signer(code, email), ENROLLMENT,
                           "SET otp_locked_until = :u, otp_failures = :zero",
                           condition="attribute_exists(pk)", values={":u": until, ":zero": 0}, return_new=False)

    # -- certificate status ----------------------------------------------------------------------

    def certificate_status(self, serial: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.certificate_status(serial), STATUS)

    @staticmethod
    def _revoke_op(revoke: Mapping[str, Any]) -> dict[str, Any]:
        return {"update": (table_keys.certificate_status(str(revoke["serial"])), STATUS),
                "expression": "SET #s = :revoked, revoked_at = :at, reason = :reason",
                "condition": "attribute_exists(pk) AND #s = :good",
                "names": {"#s": "status"},
                "values": {":revoked": "revoked", ":good": "good", ":at": revoke["revoked_at"],
                           ":reason": revoke["reason"]}}

    # -- batches ---------------------------------------------------------------------------------

    def signed_batches(self, code: str, day: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(table_keys.batch(code, day), sk_prefix="SIGNED#", consistent=True))

    def add_signed_batch(self, code: str, day: str, record: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """Write a signed batch version once (ConditionFailed when that number exists: immutable)."""
        self._table.transact([
            {"put": {"pk": table_keys.batch(code, day), "sk": f"SIGNED#{int(record['number']):03d}", **record},
             "condition": "attribute_not_exists(pk)"},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])

    # -- agreements ------------------------------------------------------------------------------

    def agreement(self, code: str, agreement_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.agreements(code), agreement_id, consistent=True)

    def agreements(self, code: str, *, limit: int = 50) -> list[dict[str, Any]]:
        return self._table.query(table_keys.agreements(code), newest_first=True, limit=limit, consistent=True).items

    def add_agreement(self, code: str, record: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        self._table.transact([
            {"put": {"pk": table_keys.agreements(code), "sk": record["agreement_id"], **record},
             "condition": "attribute_not_exists(pk)"},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ])

    def advance_agreement(self, code: str, agreement_id: str, *, from_status: str, fields: Mapping[str, Any],
                          audit: Mapping[str, Any], municipality_agreement: Mapping[str, Any] | None = None
                          ) -> None:
        """Move an agreement from `from_status` (ConditionFailed otherwise); with
        `municipality_agreement`, also set the municipality's `agreement` (configuration and the
        platform's index entry) in the same transaction."""
        names = {"#s": "status"}
        values: dict[str, Any] = {":from": from_status}
        sets = []
        for i, (name, value) in enumerate(fields.items()):
            names[f"#f{i}"], values[f":f{i}"] = name, value
            sets.append(f"#f{i} = :f{i}")
        ops: list[dict[str, Any]] = [
            {"update": (table_keys.agreements(code), agreement_id), "expression": "SET " + ", ".join(sets),
             "condition": "attribute_exists(pk) AND #s = :from", "names": names, "values": values},
            {"put": dict(audit), "condition": "attribute_not_exists(pk)"},
        ]
        if municipality_agreement is not None:
            ops.append({"update": (table_keys.municipality(code), "CONFIG"),
                        "expression": "SET agreement = :a ADD version :one", "condition": "attribute_exists(pk)",
                        "values": {":a": dict(municipality_agreement), ":one": 1}})
            ops.append({"update": (table_keys.municipality_index(), code), "expression": "SET agreement = :a",
                        "condition": "attribute_exists(pk)", "values": {":a": dict(municipality_agreement)}})
        self._table.transact(ops)
