"""Chile's civil time (America/Santiago): the zone receipts, batches, reports and payment dates use."""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from typing import Final

ZONE_NAME: Final = "America/Santiago"


def _zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(ZONE_NAME)
    except (ImportError, KeyError, OSError):  # pragma: no cover - a runtime without a tz database
        return timezone(timedelta(hours=-4))  # Chile's standard time


SANTIAGO: Final[tzinfo] = _zone()
"""Chile's zone (a runtime without a tz database: standard time, UTC−4)."""
