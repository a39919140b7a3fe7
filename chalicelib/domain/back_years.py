"""Which earlier permit years a plate owes, from what the national record of paid permits shows.

DL 3063 (Ley de Rentas Municipales) art. 12 and the permit's annual nature: a vehicle that skipped
years owes each skipped permit, readjusted and with Código Tributario art. 53 interest from its own
deadline; the new permit is granted once they are paid. The platform knows a plate's history only
through its national record (the permit holds `PERMIT#{plate}#{year}#…`, one per installment,
written when a permit is paid through the platform, in any municipality). So:

- a plate with a paid permit (either installment) in one of the ``LOOKBACK_YEARS`` years before
  the permit year owes every year after the latest such year and before the permit year, and not
  a year before the vehicle's first registration;
- a plate with no paid permit in that window has no history the platform can trust (it paid
  elsewhere, or before the platform existed, or is new): nothing is claimed as owed.

The limit (docs/domain.md, "Back-year permits"): a permit paid outside the platform after the
latest one recorded here looks owed; the citizen then shows the receipt at the municipality.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

LOOKBACK_YEARS: Final = 5
"""How many years before the permit year the national record is read (two reads per year)."""


def window(year: int) -> range:
    """The years read from the national record for a permit of ``year``, newest first."""
    return range(year - 1, year - 1 - LOOKBACK_YEARS, -1)


def owed_years(year: int, paid: Iterable[int], *, first_registration_year: int | None) -> tuple[int, ...]:
    """The years owed before ``year``, oldest first; () when the record shows no paid year in the window."""
    recorded = [y for y in paid if y in window(year)]
    if not recorded:
        return ()
    start = max(recorded) + 1
    if first_registration_year is not None:
        start = max(start, first_registration_year)
    return tuple(range(start, year))


def years_text(years: Iterable[int]) -> str:
    """``(2024, 2025)`` → ``"2024 y 2025"``; three or more → ``"2023, 2024 y 2025"``."""
    listed = [str(y) for y in years]
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} y {listed[-1]}"
