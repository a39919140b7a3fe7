"""Late payment of a municipal tax (Código Tributario art. 53): IPC readjustment plus interest.

- Readjustment: the IPC variation between the last day of the second month before the month the
  amount fell due and the last day of the second month before the month it is paid — that is,
  the monthly variations of the months ``due month − 1`` through ``payment month − 2`` — floored at
  zero (a readjustment only increases), rounded to pesos.
- Interest: ``rate`` (1,5%) per month or fraction of a month of delay, on the readjusted amount,
  rounded to pesos. Months of delay = the fewest whole calendar months that, added to the due
  date, reach the payment date (31-03 → 30-04 is 1 month, → 01-05 is 2).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chalicelib.domain.money import decimal_text, format_clp, format_date, mul, to_pesos
from chalicelib.domain.units import IpcAdjustment, ReferenceTables, YearMonth


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, clamped to the end of shorter months."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_late(due: date, paid: date) -> int:
    """Months or fractions of a month from ``due`` to ``paid`` (0 if paid on or before ``due``)."""
    if paid <= due:
        return 0
    months = (paid.year - due.year) * 12 + paid.month - due.month - 1
    months = max(months, 0)
    while add_months(due, months) < paid:
        months += 1
    return months


@dataclass(frozen=True)
class LatePayment:
    """The surcharges on an amount paid after its due date."""

    due: date
    paid: date
    months: int
    ipc: IpcAdjustment | None
    readjustment: int
    interest: int
    interest_rate: Decimal
    readjustment_exact: Decimal = Decimal(0)
    interest_exact: Decimal = Decimal(0)

    @property
    def total(self) -> int:
        """Readjustment plus interest."""
        return self.readjustment + self.interest

    def to_json(self, amount: int) -> dict[str, object]:
        """The surcharge steps, enough to redo them by hand."""
        return {
            "legal_basis": "Código Tributario art. 53",
            "due_date": self.due.isoformat(),
            "payment_date": self.paid.isoformat(),
            "months_late": self.months,
            "base_amount": amount,
            "ipc": self.ipc.to_json() if self.ipc is not None else None,
            "readjustment": self.readjustment,
            "readjusted_amount": amount + self.readjustment,
            "interest_rate_per_month": decimal_text(self.interest_rate),
            "interest": self.interest,
            "explanation": (
                f"Vencido el {format_date(self.due)} y pagado el {format_date(self.paid)}: {self.months} "
                f"mes(es) o fracción. Reajuste IPC {format_clp(self.readjustment)}; interés "
                f"{decimal_text(mul(self.interest_rate, 100)).replace('.', ',')}% × {self.months} sobre "
                f"{format_clp(amount + self.readjustment)} = {format_clp(self.interest)}."
            ),
        }


def late_payment(
    amount: int,
    due: date,
    paid: date,
    tables: ReferenceTables,
    *,
    monthly_rate: Decimal,
    field: str = "payment_date",
) -> LatePayment:
    """Readjustment and interest on ``amount`` due on ``due`` and paid on ``paid`` (zero if on time)."""
    months = months_late(due, paid)
    if months == 0:
        return LatePayment(due, paid, 0, None, 0, 0, monthly_rate)
    ipc = tables.ipc_accumulated(
        YearMonth.of(due).plus(-1), YearMonth.of(paid).plus(-2), floor_at_zero=True, field=field
    )
    readjustment_exact = mul(amount, ipc.applied_percent, Decimal("0.01"))
    readjustment = to_pesos(readjustment_exact)
    interest_exact = mul(amount + readjustment, monthly_rate, months)
    interest = to_pesos(interest_exact)
    return LatePayment(
        due, paid, months, ipc, readjustment, interest, monthly_rate, readjustment_exact, interest_exact
    )
