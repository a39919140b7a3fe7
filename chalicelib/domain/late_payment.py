"""Late payment of a municipal tax (Código Tributario art. 53): IPC readjustment plus interest.

Readjustment (art. 53 inc. 1°): the IPC variation between the last day of the second month
before the month the amount fell due and the last day of the second month before the month it is
paid — that is, the monthly variations of the months ``due month − 1`` through ``payment month − 2``
— floored at zero (a readjustment only increases), rounded to pesos.

Interest — the rule in force ON THE PAYMENT DATE applies, whenever the debt arose (art. 3° inc. 3°
and art. 55 Código Tributario, as amended by Ley 21.713, D.O. 24-10-2024):

- Payment up to 31-12-2024 (art. 53 inc. 3° before Ley 21.713): ``rate`` (1,5%) per month or
  fraction of a month of delay, on the readjusted amount. Months of delay = the fewest whole
  calendar months that, added to the due date, reach the payment date (31-03 → 30-04 is 1 month,
  → 01-05 is 2).
- Payment from 1-1-2025 (art. 53 as amended by Ley 21.713; SII Circular N° 1 of 2025): a daily
  interest on the readjusted amount. Each day of delay (the day after the due date through the
  payment date) bears the daily rate of the semester it falls in: that semester's rate published
  by the SII (CMF *tasa de interés corriente* for readjustable operations of one year or more up
  to 2.000 UF, plus 3,5 points) / 360. A debt late across several semesters adds each
  semester's days at its own rate. The exact sum is rounded once to pesos. A day in a semester
  with no published rate loaded refuses the computation (``interest_rate_missing``) rather than
  guess. A debt due before 1-1-2025 and paid from then on is refused too (same code, its own
  message): the SII publishes no semestral rate for days before 2025, and no published text read
  for this platform (Circular SII N° 1 of 2025 as reported, the TGR's notices) says which rate
  those days bear under the daily rule — only that the rule in force on the payment date applies.
  The searches (last on 04-12-2026) are listed in docs/domain.md, "Debts straddling 1-1-2025".

Worked example (TGR, January 2025): $2.000.000 paid 60 days late in the first semester of 2025
(8,12% ⇒ 0,0225555556% a day) bears $27.067 of interest; 61 days, $27.518.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from chalicelib.domain.errors import RuleRefused
from chalicelib.domain.money import decimal_text, format_clp, format_date, mul, to_pesos
from chalicelib.domain.units import IpcAdjustment, ReferenceTables, SemestralRate, YearMonth

DAILY_RULE_FROM: Final = date(2025, 1, 1)
"""First payment date under the daily rule of Ley 21.713 (art. 53 as amended)."""

TRANSITION_REFUSAL: Final = (
    "El atraso incluye días del {half} semestre de {year}, anteriores al 01-01-2025. Desde esa fecha el "
    "interés moratorio es diario (art. 53 del Código Tributario, modificado por la Ley 21.713) y rige la regla "
    "vigente al pagar (arts. 3° y 55), pero el SII no publica tasa semestral para días anteriores a 2025 y no "
    "encontramos un texto publicado (Circular SII N° 1 de 2025, TGR) que diga qué tasa aplicar a esos días. "
    "Este monto no se calcula en línea: consulte en la municipalidad."
)
"""Why a debt due before 2025 and paid from 2025 is refused (docs/domain.md, "Debts straddling 1-1-2025")."""

LAW_MONTHLY: Final = "Código Tributario art. 53 inc. 3° (texto vigente hasta el 31-12-2024): 1,5% por mes o fracción"
LAW_DAILY: Final = (
    "Código Tributario art. 53, modificado por Ley 21.713 (vigente desde el 01-01-2025): interés diario = "
    "tasa semestral publicada por el SII / 360, sumando los días de cada semestre a su tasa; "
    "arts. 3° y 55: rige la tasa vigente a la fecha de pago"
)


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
class InterestSegment:
    """The days of delay that fall in one semester, at that semester's rate."""

    rate: SemestralRate
    first_day: date
    last_day: date
    days: int
    exact: Decimal

    def to_json(self) -> dict[str, object]:
        """One line of the per-semester interest table."""
        return {
            **self.rate.to_json(),
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "days": self.days,
            "interest_exact": decimal_text(self.exact),
        }


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
    days: int = 0
    segments: tuple[InterestSegment, ...] = field(default=())

    @property
    def daily_rule(self) -> bool:
        """True when the payment date falls under Ley 21.713's daily interest."""
        return self.paid >= DAILY_RULE_FROM

    @property
    def late(self) -> bool:
        """True if paid after the due date."""
        return self.paid > self.due

    @property
    def total(self) -> int:
        """Readjustment plus interest."""
        return self.readjustment + self.interest

    @property
    def projected(self) -> bool:
        """True if an IPC month or an interest rate used is a projection, not a published figure."""
        return (self.ipc is not None and self.ipc.projected) or any(s.rate.projected for s in self.segments)

    def interest_label(self) -> str:
        """The line a citizen reads for the interest."""
        if self.daily_rule:
            rates = ", ".join(
                f"{s.days} día(s) al {decimal_text(s.rate.annual_percent).replace('.', ',')}%/360"
                for s in self.segments
            )
            return f"Intereses art. 53 ({rates})"
        monthly = decimal_text(mul(self.interest_rate, 100)).replace(".", ",")
        return f"Intereses {monthly}% mensual × {self.months} mes(es)"

    def to_json(self, amount: int) -> dict[str, object]:
        """The surcharge steps, enough to redo them by hand."""
        readjusted = amount + self.readjustment
        data: dict[str, object] = {
            "legal_basis": LAW_DAILY if self.daily_rule else LAW_MONTHLY,
            "readjustment_basis": (
                "Código Tributario art. 53 inc. 1°: variación del IPC entre el último día del segundo mes "
                "anterior al vencimiento y el último día del segundo mes anterior al pago"
            ),
            "due_date": self.due.isoformat(),
            "payment_date": self.paid.isoformat(),
            "base_amount": amount,
            "ipc": self.ipc.to_json() if self.ipc is not None else None,
            "readjustment_exact": decimal_text(self.readjustment_exact),
            "readjustment": self.readjustment,
            "readjusted_amount": readjusted,
            "interest_exact": decimal_text(self.interest_exact),
            "interest": self.interest,
        }
        if self.daily_rule:
            data.update(
                {
                    "interest_rule": "daily",
                    "days_late": self.days,
                    "semesters": [s.to_json() for s in self.segments],
                    "explanation": (
                        f"Vencido el {format_date(self.due)} y pagado el {format_date(self.paid)}: {self.days} "
                        f"día(s) de atraso. Reajuste IPC {format_clp(self.readjustment)}; interés = "
                        f"{format_clp(readjusted)} × Σ(días del semestre × tasa del semestre / 360) = "
                        f"{format_clp(self.interest)}."
                    ),
                }
            )
        else:
            data.update(
                {
                    "interest_rule": "monthly",
                    "months_late": self.months,
                    "interest_rate_per_month": decimal_text(self.interest_rate),
                    "explanation": (
                        f"Vencido el {format_date(self.due)} y pagado el {format_date(self.paid)}: {self.months} "
                        f"mes(es) o fracción. Reajuste IPC {format_clp(self.readjustment)}; interés "
                        f"{decimal_text(mul(self.interest_rate, 100)).replace('.', ',')}% × {self.months} sobre "
                        f"{format_clp(readjusted)} = {format_clp(self.interest)}."
                    ),
                }
            )
        return data


def daily_interest_segments(
    amount: int, due: date, paid: date, tables: ReferenceTables, *, field: str = "payment_date"
) -> tuple[InterestSegment, ...]:
    """The days from the day after ``due`` through ``paid``, grouped by semester, each at its rate."""
    segments: list[InterestSegment] = []
    first = due + timedelta(days=1)
    if first < DAILY_RULE_FROM <= paid:
        raise RuleRefused(TRANSITION_REFUSAL.format(half="primer" if first.month <= 6 else "segundo",
                                                    year=first.year),
                          code="interest_rate_missing", field=field)
    while first <= paid:
        rate = tables.interest_rate(first, field=field)
        last = min(rate.last_day, paid)
        days = (last - first).days + 1
        segments.append(InterestSegment(rate, first, last, days, mul(amount, days) * rate.daily_fraction))
        first = last + timedelta(days=1)
    return tuple(segments)


def late_payment(
    amount: int,
    due: date,
    paid: date,
    tables: ReferenceTables,
    *,
    monthly_rate: Decimal,
    field: str = "payment_date",
) -> LatePayment:
    """Readjustment and interest on ``amount`` due on ``due`` and paid on ``paid`` (zero if on time).

    ``monthly_rate`` is the pre-2025 rate (1,5%), used only for payment dates up to 31-12-2024.
    """
    if paid <= due:
        return LatePayment(due, paid, 0, None, 0, 0, monthly_rate)
    months = months_late(due, paid)
    ipc = tables.ipc_accumulated(
        YearMonth.of(due).plus(-1), YearMonth.of(paid).plus(-2), floor_at_zero=True, field=field
    )
    readjustment_exact = mul(amount, ipc.applied_percent, Decimal("0.01"))
    readjustment = to_pesos(readjustment_exact)
    readjusted = amount + readjustment
    if paid >= DAILY_RULE_FROM:
        segments = daily_interest_segments(readjusted, due, paid, tables, field=field)
        interest_exact = sum((s.exact for s in segments), Decimal(0))
        return LatePayment(
            due,
            paid,
            months,
            ipc,
            readjustment,
            to_pesos(interest_exact),
            monthly_rate,
            readjustment_exact,
            interest_exact,
            (paid - due).days,
            segments,
        )
    interest_exact = mul(readjusted, monthly_rate, months)
    return LatePayment(
        due, paid, months, ipc, readjustment, to_pesos(interest_exact), monthly_rate, readjustment_exact, interest_exact
    )


def surcharge_installments(
    installments: list[dict[str, object]],
    paid: date | None,
    tables: ReferenceTables,
    *,
    monthly_rate: Decimal = Decimal("0.015"),
    field: str = "payment_date",
) -> bool:
    """Add art. 53 readjustment and interest to each installment ``{"due", "amount"}`` already due on ``paid``.

    Each installment gains ``late_payment`` (the steps, or None when on time) and ``amount_due``
    (amount + readjustment + interest). Returns True if a projected IPC month or rate was used.
    Art. 53 governs the late payment of any "impuestos o contribuciones"; the platform applies it
    to patentes (a municipal tax) and to aseo installments alike (see docs/domain.md).
    """
    projected = False
    for installment in installments:
        amount = installment["amount"]
        due = date.fromisoformat(str(installment["due"]))
        assert isinstance(amount, int)
        if paid is None or paid <= due or amount == 0:
            installment["late_payment"] = None
            installment["amount_due"] = amount
            continue
        late = late_payment(amount, due, paid, tables, monthly_rate=monthly_rate, field=field)
        projected = projected or late.projected
        installment["late_payment"] = late.to_json(amount)
        installment["amount_due"] = amount + late.total
    return projected
