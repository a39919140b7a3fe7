"""Officials of each municipality (and of the central level, under `00000`), found by their
Cognito account's immutable `sub`, and the record of when their sessions were last ended."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.errors import ConditionFailed

POINTER_SK = "OFFICIAL"


class OfficialRepository:
    """Official records by (municipality, e-mail), reached from the account's `sub` through a
    pointer item written with the record (`officials_admin_repo.create`)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, municipality: str, email: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.officials(municipality), email.lower())

    def by_sub(self, sub: str) -> dict[str, Any] | None:
        """The official whose Cognito account is `sub`, or None. The record must name the same
        `sub` (a pointer never vouches for a record on its own)."""
        try:
            pointer_pk = table_keys.official_account(sub)
        except ValueError:
            return None
        pointer = self._table.get(pointer_pk, POINTER_SK)
        if pointer is None:
            return None
        record = self._table.get(table_keys.officials(str(pointer["municipality"])), str(pointer["email"]))
        if record is None or record.get("sub") != sub:
            return None
        return record

    def unlinked(self, municipality: str) -> list[dict[str, Any]]:
        """The municipality's officials whose record has no account `sub` yet."""
        return [r for r in self._table.query_all(table_keys.officials(municipality)) if not r.get("sub")]

    def link_account(self, municipality: str, email: str, sub: str) -> None:
        """Store the account's `sub` on an existing record and its pointer, in one transaction
        (for records made before the `sub` was kept: the demo seed, `infra/link_accounts.py`).
        ConditionFailed when the record is missing or already names another account."""
        self._table.transact([
            {"update": (table_keys.officials(municipality), email.lower()), "expression": "SET #sub = :sub",
             "condition": "attribute_exists(pk) AND (attribute_not_exists(#sub) OR #sub = :sub)",
             "names": {"#sub": "sub"}, "values": {":sub": sub}},
            {"put": pointer_item(municipality, email, sub),
             "condition": "attribute_not_exists(pk) OR (#m = :m AND #e = :e)",
             "names": {"#m": "municipality", "#e": "email"}, "values": {":m": municipality, ":e": email.lower()}},
        ])

    def end_sessions(self, municipality: str, email: str, *, after: int,
                     totp_enrolled_at: str | None = None) -> bool:
        """Refuse every token authenticated before `after` (epoch seconds). With
        `totp_enrolled_at`, the enrolment is noted too, and only if it was not yet (False when
        another request noted it first)."""
        names = {"#a": "sessions_after"}
        values: dict[str, Any] = {":a": after}
        expression, condition = "SET #a = :a", "attribute_exists(pk)"
        if totp_enrolled_at is not None:
            names["#t"], values[":t"] = "totp_enrolled_at", totp_enrolled_at
            expression += ", #t = :t"
            condition += " AND attribute_not_exists(#t)"
        try:
            self._table.update(table_keys.officials(municipality), email.lower(), expression, condition=condition,
                               names=names, values=values, return_new=False)
        except ConditionFailed:
            return False
        return True

    def forget_totp(self, municipality: str, email: str) -> None:
        """The account has no TOTP app any more: a new enrolment will end the sessions again."""
        with contextlib.suppress(ConditionFailed):  # already forgotten by another request
            self._table.update(table_keys.officials(municipality), email.lower(), "REMOVE #t",
                               condition="attribute_exists(pk) AND attribute_exists(#t)",
                               names={"#t": "totp_enrolled_at"}, return_new=False)


def pointer_item(municipality: str, email: str, sub: str) -> dict[str, Any]:
    """The `sub` → official pointer (written in the same transaction as the record)."""
    return {"pk": table_keys.official_account(sub), "sk": POINTER_SK, "municipality": municipality,
            "email": email.lower()}
