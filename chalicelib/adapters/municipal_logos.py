"""Municipalities' logos, read from the assets bucket for their receipts."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.errors import NotFound
from chalicelib.ttl_cache import TtlCache


class BlobStore(Protocol):
    """A bucket's reads (`ObjectStore`): `NotFound` for a missing key."""

    def get(self, key: str) -> bytes: ...


class MunicipalLogos:
    """Municipalities' logos from the assets bucket (`<cut>/branding/logo.png`), cached briefly."""

    def __init__(self, store: BlobStore, *, cache_ttl_s: float = 300) -> None:
        self._store = store
        self._cache: TtlCache[bytes | None] = TtlCache(cache_ttl_s)

    def logo(self, code: str) -> bytes | None:
        def load() -> bytes | None:
            try:
                return self._store.get(f"{code}/branding/logo.png")
            except NotFound:
                return None

        return self._cache.get_or_load(code, load)
