"""A tiny per-process cache with expiry, for data read on nearly every request (a
municipality's configuration, the UTM/IPC tables). Lambda keeps a warm process for minutes, so a
short expiry bounds how stale an edit can be while sparing DynamoDB a read per request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values by key, each kept `ttl_s` seconds."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._items: dict[str, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: str, load: Callable[[], V]) -> V:
        """The cached value, or `load()`'s (cached) when missing or expired."""
        now = self._clock()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = load()
        with self._lock:
            self._items[key] = (now + self._ttl_s, value)
        return value

    def forget(self, key: str | None = None) -> None:
        """Drop one key (after a write) or everything."""
        with self._lock:
            if key is None:
                self._items.clear()
            else:
                self._items.pop(key, None)
