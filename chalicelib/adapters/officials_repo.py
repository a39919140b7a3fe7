"""Officials of each municipality (and of the central level, under `00000`)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable


class OfficialRepository:
    """Official records by (municipality, e-mail)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, municipality: str, email: str) -> dict[str, Any] | None:
        return self._table.get(keys.officials(municipality), email.lower())
