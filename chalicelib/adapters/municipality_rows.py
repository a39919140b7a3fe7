"""A municipality's rows partition by partition, for its export (services/municipality_export.py):
the keys of every collection an export covers are known here, the export only names collections.
Everything is read by key or Query, never with a Scan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from chalicelib.adapters import table_keys
from chalicelib.adapters.payments_repo import INDEX_FIELDS, item_row

__all__ = ["INDEX_FIELDS", "MunicipalityRows", "Rows"]


class Rows(Protocol):
    """The data table's reads an export needs (`DynamoTable`)."""

    def query_all(self, pk_value: str, **kwargs: Any) -> Iterator[dict[str, Any]]: ...

    def get(self, pk: str, sk: str, *, consistent: bool = False) -> dict[str, Any] | None: ...


class MunicipalityRows:
    """The table, read in pages of `PAGE` items (DynamoDB's 1 MB per page bounds them anyway)."""

    PAGE = 500

    def __init__(self, table: Rows, code: str) -> None:
        self._table = table
        self.code = code

    def _all(self, pk_value: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._table.query_all(pk_value, limit=self.PAGE, **kwargs)

    def config(self) -> dict[str, Any] | None:
        return self._table.get(table_keys.municipality(self.code), "CONFIG", consistent=True)

    def municipality(self) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.municipality(self.code))

    def officials(self) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.officials(self.code))

    def signer(self, official: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.signer(self.code, str(official["sk"])))

    def agreements(self) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.agreements(self.code))

    def official_proposals(self) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.official_proposals(self.code))

    def audit(self, month: str) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.audit(self.code, month))

    def roll_uploads(self) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.roll_uploads(self.code))

    def roll_errors(self, upload_id: str) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.roll_upload_lines(self.code, upload_id))

    def payments_created_on(self, day: str) -> list[str]:
        """Ids of the payments created on `day`, sorted."""
        listed = self._all(table_keys.payments_by_day(self.code, day), index="GSI1")
        return sorted({str(row["payment_id"]) for row in listed if row.get("payment_id")})

    def payment(self, payment_id: str) -> list[dict[str, Any]]:
        """Every row of one payment (record, items with their breakdown unpacked, events, e-mails,
        refunds); none when it has no record (the rows a creation writes before its transaction,
        left by a cart the transaction refused: no payment)."""
        rows = [item_row(r) for r in self._all(table_keys.payment(self.code, payment_id))]
        return rows if any(r.get("sk") == "META" for r in rows) else []

    def receipt(self, folio: str) -> dict[str, Any] | None:
        return self._table.get(table_keys.receipt(self.code, folio), "RECEIPT", consistent=True)

    def settlements(self, day: str) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.settlement(self.code, day))

    def reconciliation(self, day: str) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.reconciliation(self.code, day))

    def batches(self, day: str) -> Iterator[dict[str, Any]]:
        return self._all(table_keys.batch(self.code, day))
