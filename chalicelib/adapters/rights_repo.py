"""Personal-data rights requests (docs/personal-data.md) and what the platform holds about a RUN in
one municipality, in DynamoDB.

A request lives under `<cut>#RIGHTS` (sk `REQ#<id>`); each step is an event row beside it
(`REQ#<id>#EV#<utc>#<n>`) written in the same transaction as the request's new state and the
audit entry, conditional on the state it leaves."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable, Page, set_remove_expression
from chalicelib.domain.errors import ConditionFailed

_seq = itertools.count()


def event_row(code: str, request_id: str, at_key: str, kind: str, actor: str,
              detail: Mapping[str, Any]) -> dict[str, Any]:
    """One step of a request's history."""
    return {"pk": table_keys.rights_requests(code), "sk": f"REQ#{request_id}#EV#{at_key}#{next(_seq) % 1000:03d}",
            "type": kind, "at": at_key, "actor": actor, "detail": dict(detail)}


def is_payment(row: Mapping[str, Any]) -> bool:
    """Whether a row `held_by_rut` yields is a payment (the others are debts)."""
    return str(row.get("gsi2sk", "")).startswith("PAY#")


class RightsRepository:
    """Requests, their steps, and the reads and writes a request's handling needs."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- requests ------------------------------------------------------------------------------

    def create(self, request: Mapping[str, Any], event: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        """Write a new request with its first event and audit entry."""
        item = {"pk": table_keys.rights_requests(str(request["municipality"])), "sk": f"REQ#{request['request_id']}",
                **request}
        self._table.transact([{"put": item, "condition": "attribute_not_exists(pk)"}, {"put": dict(event)},
                              {"put": dict(audit), "condition": "attribute_not_exists(pk)"}])

    def get(self, code: str, request_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.rights_requests(code), f"REQ#{request_id}", consistent=True)

    def events(self, code: str, request_id: str) -> list[dict[str, Any]]:
        return list(self._table.query_all(table_keys.rights_requests(code), sk_prefix=f"REQ#{request_id}#EV#",
                                          consistent=True))

    def page(self, code: str, cursor: str | None, limit: int = 50) -> Page:
        """Requests newest first (their events are skipped)."""
        page = self._table.query(table_keys.rights_requests(code), sk_prefix="REQ#", newest_first=True, limit=limit,
                                 cursor=cursor)
        return Page([i for i in page.items if "#EV#" not in str(i["sk"])], page.cursor)

    def step(self, code: str, request_id: str, *, from_status: Sequence[str], set_fields: Mapping[str, Any],
             event: Mapping[str, Any], audit: Mapping[str, Any], once: str | None = None) -> bool:
        """Change a request that is in one of `from_status`, with its event and audit entry, in one
        transaction; False when it is not in such a state, or (`once`) already has that field
        (nothing written)."""
        expression, names, vals = set_remove_expression(set_fields)
        names["#s"] = "status"
        refs = []
        for i, status in enumerate(from_status):
            vals[f":from{i}"] = status
            refs.append(f":from{i}")
        full = f"#s IN ({', '.join(refs)})"
        if once:
            names["#once"] = once
            full += " AND attribute_not_exists(#once)"
        try:
            self._table.transact([
                {"update": (table_keys.rights_requests(code), f"REQ#{request_id}"), "expression": expression,
                 "condition": full, "names": names, "values": vals},
                {"put": dict(event)}, {"put": dict(audit), "condition": "attribute_not_exists(pk)"}])
        except ConditionFailed:
            return False
        return True

    # -- what the platform holds about a RUN -----------------------------------------------------

    def held_by_rut(self, code: str, rut: str) -> Iterator[dict[str, Any]]:
        """Everything indexed under the RUN in the municipality: its debts and its payments (a
        payment's listing entry holds keys only: its record comes with the entry's index keys)."""
        from chalicelib.adapters.payments_repo import LISTING

        for row in self._table.query_all(table_keys.by_rut(code, rut), index="GSI2", limit=100):
            if row.get("sk") == LISTING:
                meta = self._table.get(str(row["pk"]), "META", consistent=True)
                if meta is not None:
                    yield {**meta, "gsi2pk": row["gsi2pk"], "gsi2sk": row["gsi2sk"]}
                continue
            yield row

    def payment_rows(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """A payment's rows: the main record, items (their breakdown unpacked), events and e-mail deliveries."""
        from chalicelib.adapters.payments_repo import item_row

        return [item_row(r) for r in self._table.query_all(table_keys.payment(code, payment_id), consistent=True)]

    def rectify_payer(self, code: str, payment_id: str, rut: str, fields: Mapping[str, str]) -> bool:
        """Set the payer's `name` and/or `email` on a payment of this RUN (False when the payment is
        not this RUN's any more, e.g. anonymized)."""
        expression = "SET " + ", ".join(f"#p.#f{i} = :v{i}" for i in range(len(fields)))
        names = {"#p": "payer", "#r": "rut", **{f"#f{i}": name for i, name in enumerate(fields)}}
        values: dict[str, Any] = {":rut": rut, **{f":v{i}": value for i, value in enumerate(fields.values())}}
        try:
            self._table.update(table_keys.payment(code, payment_id), "META", expression, condition="#p.#r = :rut",
                               names=names, values=values, return_new=False)
        except ConditionFailed:
            return False
        return True
