"""Debts from municipalities' rolls (patentes, aseo installments) and pending second permit
installments: one item per debt, listed by RUT through GSI2."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable


class DebtRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, code: str, debt_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.debt(code, debt_id), "DEBT", consistent=True)

    def by_rut(self, code: str, rut: str, limit: int = 200) -> list[dict[str, Any]]:
        """A RUT's debts in a municipality (open and settled), by id."""
        return self._table.query(keys.by_rut(code, rut), index="GSI2", sk_prefix="DEBT#", limit=limit).items

    @staticmethod
    def row(code: str, debt: dict[str, Any]) -> dict[str, Any]:
        """The stored form of a debt (keys added)."""
        return {"pk": keys.debt(code, debt["debt_id"]), "sk": "DEBT", **debt, "municipality": code,
                "gsi2pk": keys.by_rut(code, debt["rut"]), "gsi2sk": f"DEBT#{debt['debt_id']}"}
