"""Municipalities: their configuration and the platform-wide list of them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.ttl_cache import TtlCache


class MunicipalityRepository:
    """Reads (cached briefly) and writes municipality records."""

    def __init__(self, table: DynamoTable, *, cache_ttl_s: float = 60.0) -> None:
        self._table = table
        self._cache: TtlCache[dict[str, Any] | None] = TtlCache(cache_ttl_s)
        self._read_now: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def get(self, code: str) -> dict[str, Any] | None:
        """A municipality's configuration, or None if the platform does not know it."""
        return self._cache.get_or_load(code, lambda: self._table.get(table_keys.municipality(code), "CONFIG"))

    def current(self, code: str, *, max_age_s: float = 0.0) -> dict[str, Any] | None:
        """The configuration as stored now (a strongly consistent read, which also refreshes the
        cache): for what must follow a change at once, such as the receipt a payment gets. With
        `max_age_s`, such a read made at most that many seconds ago in this process is enough."""
        started = time.monotonic()
        kept = self._read_now.get(code)
        if kept is not None and started - kept[0] < max_age_s:
            return kept[1]
        self._cache.forget(code)
        value = self._cache.get_or_load(code, lambda: self._table.get(table_keys.municipality(code), "CONFIG",
                                                                       consistent=True))
        self._read_now[code] = (started, value)
        return value

    def list_all(self) -> list[dict[str, Any]]:
        """Every municipality's index entry (code, name, region, services, enabled), by code."""
        return list(self._table.query_all(table_keys.municipality_index()))

    def forget(self, code: str | None = None) -> None:
        self._cache.forget(code)
        if code is None:
            self._read_now.clear()
        else:
            self._read_now.pop(code, None)


class PortalKeyRepository:
    """Municipal portals' API keys, stored as SHA-256 hashes (`<cut>#MUNI`, sk `PORTAL_KEY#<id>`).
    Read on every request of a municipal site, so a key's record is kept `cache_ttl_s` in the
    process (as the municipality's configuration is): a key revoked elsewhere stops working in
    this process within that time; one revoked through this process's console at once (`forget`)."""

    def __init__(self, table: DynamoTable, *, cache_ttl_s: float = 60.0) -> None:
        self._table = table
        self._cache: TtlCache[dict[str, Any] | None] = TtlCache(cache_ttl_s)

    def get(self, code: str, key_id: str) -> dict[str, Any] | None:
        return self._cache.get_or_load(f"{code}/{key_id}", lambda: self._table.get(table_keys.municipality(code),
                                                                                   f"PORTAL_KEY#{key_id}"))

    def forget(self, code: str, key_ids: Sequence[str]) -> None:
        """Drop these keys' records from this process's cache (after revoking them)."""
        for key_id in key_ids:
            self._cache.forget(f"{code}/{key_id}")

    def put(self, code: str, key_id: str, secret_hash: str, *, created_at: str) -> None:
        self._table.put_new({"pk": table_keys.municipality(code), "sk": f"PORTAL_KEY#{key_id}", "key_id": key_id,
                             "hash": secret_hash, "status": "active", "created_at": created_at})
