"""The demo vehicle registry in the data table (`<cut>#VEHICLE#<plate>`, sk `DATA`): the dev and
bench stand-in for the Registro Civil's SOAP service."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable


class DemoVehicles:
    """Reads of the demo registry."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, code: str, plate: str) -> dict[str, Any] | None:
        """The vehicle of a plate in a municipality's demo registry, or None."""
        return self._table.get(table_keys.vehicle(code, plate), "DATA")
