"""Municipalities: their configuration and the platform-wide list of them."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.ttl_cache import TtlCache


class MunicipalityRepository:
    """Reads (cached briefly) and writes municipality records."""

    def __init__(self, table: DynamoTable, *, cache_ttl_s: float = 60.0) -> None:
        self._table = table
        self._cache: TtlCache[dict[str, Any] | None] = TtlCache(cache_ttl_s)

    def get(self, code: str) -> dict[str, Any] | None:
        """A municipality's configuration, or None if the platform does not know it."""
        return self._cache.get_or_load(code, lambda: self._table.get(keys.municipality(code), "CONFIG"))

    def list_all(self) -> list[dict[str, Any]]:
        """Every municipality's index entry (code, name, region, services, enabled), by code."""
        return list(self._table.query_all(keys.municipality_index()))

    def forget(self, code: str | None = None) -> None:
        self._cache.forget(code)
