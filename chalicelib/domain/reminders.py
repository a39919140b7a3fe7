"""When a citizen's obligation earns a reminder (docs/citizens.md): in the week before its due
date, and in the week after it if it is still unpaid. Pure: dates in, a kind or None out."""

from __future__ import annotations

from datetime import date

BEFORE_DAYS = 7
"""A reminder goes out from this many days before the due date (through the due date)."""
AFTER_DAYS = 7
"""A missed due date is reminded from the next day through this many days after."""

KIND_TEXT = {"before": "vence pronto", "after": "venció y sigue impaga", "renewal": "ya se puede pagar"}

RENEWAL_MONTH = 2
"""Next year's permit is reminded in February: the period to pay it runs from 1 February to the
class's deadline (31 March for light vehicles; DL 3.063 and the permit rules' `deadline`)."""


def reminder_kind(due: date, today: date) -> str | None:
    """"before", "after" or None for an open obligation due on `due`, seen on `today`."""
    days = (due - today).days
    if 0 <= days <= BEFORE_DAYS:
        return "before"
    if -AFTER_DAYS <= days < 0:
        return "after"
    return None


def months_to_scan(today: date) -> list[str]:
    """The `YYYY-MM` months holding every due date a reminder can be sent for today."""
    from datetime import timedelta

    first, last = today - timedelta(days=AFTER_DAYS), today + timedelta(days=BEFORE_DAYS)
    months = []
    day = first
    while day <= last:
        month = f"{day.year:04d}-{day.month:02d}"
        if month not in months:
            months.append(month)
        day += timedelta(days=1)
    return months


def renewal_year(today: date) -> int | None:
    """The permit year whose renewal is reminded on `today` (February of that year), or None."""
    return today.year if today.month == RENEWAL_MONTH else None


def renewal_scan_range(year: int) -> tuple[date, date]:
    """The days whose payments are read for `year`'s renewal reminders: the permits of `year - 1`
    were paid from December of `year - 2` (new vehicles, early payers) through December of `year - 1`."""
    return date(year - 2, 12, 1), date(year - 1, 12, 31)
