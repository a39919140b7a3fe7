"""Chile's civil time (America/Santiago): the zone receipts, batches, reports and payment dates use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta, timezone, tzinfo
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


def days_from(since: date, until: date) -> Iterator[date]:
    """Every day from `since` to `until`, both included (none when `until` is before `since`)."""
    day = since
    while day <= until:
        yield day
        day += timedelta(days=1)
