"""Debts from municipalities' rolls (patentes, aseo installments) and pending second permit
installments: one item per debt, listed by RUT through GSI2."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable


class DebtRepository:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, code: str, debt_id: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.debt(code, debt_id), "DEBT", consistent=True)

    def by_rut(self, code: str, rut: str, limit: int = 200) -> list[dict[str, Any]]:
        """A RUT's debts in a municipality (open and settled), by id."""
        return self._table.query(table_keys.by_rut(code, rut), index="GSI2", sk_prefix="DEBT#", limit=limit).items

    @staticmethod
    def row(code: str, debt: dict[str, Any]) -> dict[str, Any]:
        """The stored form of a debt (keys added)."""
        row = {"pk": table_keys.debt(code, debt["debt_id"]), "sk": "DEBT", **debt, "municipality": code,
               "gsi2pk": table_keys.by_rut(code, debt["rut"]), "gsi2sk": f"DEBT#{debt['debt_id']}"}
        due = str(debt.get("due_date") or "")
        if len(due) == 10:  # listed by due month for the citizens' reminders (docs/citizens.md)
            row.update(gsi1pk=table_keys.debts_due(code, due[:7]), gsi1sk=f"{due}#{debt['debt_id']}")
        return row

    def due_in(self, code: str, month: str) -> list[dict[str, Any]]:
        """The municipality's debts falling due in a month `YYYY-MM` (GSI1), by due date."""
        return list(self._table.query_all(table_keys.debts_due(code, month), index="GSI1"))
