"""UTM, IPC and penalty-interest rates: the units the law measures in, as data loaded by the administrator.

- The UTM (unidad tributaria mensual) is a peso value per month published by SII.
- The IPC monthly variation (INE) is a percentage per month, e.g. ``0.7`` for +0,7%.
- The semestral penalty-interest rate (Código Tributario art. 53 as amended by Ley 21.713, in
  force from 1-1-2025): the SII publishes it in June and December, in force from July and
  January; it is the CMF's *tasa de interés corriente* for readjustable operations of one year or
  more up to 2.000 UF, plus 3,5 points, as a yearly percentage (e.g. ``8.12``); the daily rate is
  that percentage / 360. A record is keyed by the semester's first month (``2025-01``, ``2025-07``).

Both are tables built from plain records (``{"month": "2027-01", "value": 72153, ...}``) so that a
DynamoDB-backed repository, the seed in ``reference_data`` or a test can build them alike. Each
value says where it came from and whether it is *projected* (not yet published); a rule that uses
a projected value marks its result as an estimate.

IPC ACCUMULATION: the variation over a run of months is the compounded product of the monthly
variations, ``Π(1 + vₘ/100) − 1`` (equal to the ratio of the index at the end of the run to the
index at the end of the month before it), expressed in percent and rounded half up to
``percent_decimals`` decimals (one, like SII's published reajuste percentages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from chalicelib.domain.checks import require_decimal, require_int
from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.money import decimal_text, mul

_MONTH_RE: Final = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MONTHLY_IPC_PERCENT: Final = Decimal(20)
"""Sanity cap on a monthly IPC variation (Chile's worst month since 1990 is far below it)."""


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month, written ``"YYYY-MM"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")

    @classmethod
    def parse(cls, text: str, *, field: str = "month") -> YearMonth:
        """``"2027-01"`` → YearMonth(2027, 1); anything else → InvalidInput(invalid_month)."""
        match = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise InvalidInput(
                "El mes debe tener el formato AAAA-MM (por ejemplo 2027-01).",
                code="invalid_month",
                field=field,
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> YearMonth:
        """The month a date falls in."""
        return cls(day.year, day.month)

    def plus(self, months: int) -> YearMonth:
        """This month moved ``months`` months forward (or back, if negative)."""
        index = self.year * 12 + (self.month - 1) + months
        return YearMonth(index // 12, index % 12 + 1)

    def through(self, last: YearMonth) -> Iterator[YearMonth]:
        """Every month from this one to ``last``, both included (nothing if ``last`` is earlier)."""
        current = self
        while current <= last:
            yield current
            current = current.plus(1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class UtmValue:
    """The UTM of one month, in whole pesos, with its provenance."""

    month: YearMonth
    value: int
    source: str
    projected: bool = False

    def to_json(self) -> dict[str, object]:
        """The form shown in every breakdown: ``{"month": "2027-01", "value": 72153, ...}``."""
        data: dict[str, object] = {"month": str(self.month), "value": self.value, "source": self.source}
        if self.projected:
            data["projected"] = True
        return data


@dataclass(frozen=True)
class IpcVariation:
    """INE's IPC variation of one month, in percent (``Decimal("0.7")`` is +0,7%)."""

    month: YearMonth
    percent: Decimal
    source: str
    projected: bool = False


@dataclass(frozen=True)
class IpcAdjustment:
    """An accumulated IPC variation over a run of months, and the percentage a rule applies.

    ``applied_percent`` is ``accumulated_percent`` floored at zero when the rule only readjusts
    upwards (a *reajuste* is an increase: a fall in prices does not lower what is owed).
    """

    months: tuple[IpcVariation, ...]
    accumulated_percent: Decimal
    applied_percent: Decimal
    floored_at_zero: bool

    @property
    def projected(self) -> bool:
        """True if any month used is a projection rather than a published figure."""
        return any(variation.projected for variation in self.months)

    @property
    def factor(self) -> Decimal:
        """``1 + applied_percent / 100``."""
        return 1 + mul(self.applied_percent, Decimal("0.01"))

    def to_json(self) -> dict[str, object]:
        """The months, each monthly variation, the accumulated and the applied percentage."""
        data: dict[str, object] = {
            "from_month": str(self.months[0].month) if self.months else None,
            "to_month": str(self.months[-1].month) if self.months else None,
            "monthly_percent": [
                {"month": str(v.month), "percent": decimal_text(v.percent), "projected": v.projected}
                for v in self.months
            ],
            "method": "variación compuesta: Π(1 + v/100) − 1, redondeada a un decimal (ROUND_HALF_UP)",
            "accumulated_percent": str(self.accumulated_percent),
            "applied_percent": str(self.applied_percent),
        }
        if self.floored_at_zero:
            data["note"] = "variación negativa: no se aplica reajuste (el reajuste solo aumenta)"
        if self.projected:
            data["projected"] = True
        return data


@dataclass(frozen=True)
class SemestralRate:
    """The penalty-interest rate of one semester (art. 53 Código Tributario, Ley 21.713).

    ``annual_percent`` is the rate as the SII publishes it (CMF rate + 3,5), e.g. ``8.12``;
    the interest of one day of delay in this semester is ``annual_percent / 100 / 360``.
    """

    first_month: YearMonth
    annual_percent: Decimal
    source: str
    projected: bool = False

    @property
    def last_day(self) -> date:
        """The semester's last day (30 June or 31 December)."""
        return date(self.first_month.year, 6, 30) if self.first_month.month == 1 else date(
            self.first_month.year, 12, 31
        )

    @property
    def label(self) -> str:
        """``1er semestre 2025`` / ``2do semestre 2025``."""
        half = "1er" if self.first_month.month == 1 else "2do"
        return f"{half} semestre {self.first_month.year}"

    @property
    def daily_fraction(self) -> Decimal:
        """The interest of one day as a fraction: ``annual_percent / 100 / 360`` (exact Decimal)."""
        return mul(self.annual_percent, Decimal("0.01")) / 360

    def to_json(self) -> dict[str, object]:
        """The rate as shown in the admin console and in a breakdown."""
        data: dict[str, object] = {
            "month": str(self.first_month),
            "semester": self.label,
            "annual_percent": decimal_text(self.annual_percent),
            "daily_percent": decimal_text(
                (self.annual_percent / 360).quantize(Decimal("0.0000000001"), rounding=ROUND_HALF_UP)
            ),
            "source": self.source,
        }
        if self.projected:
            data["projected"] = True
        return data


def semester_start(day: date) -> YearMonth:
    """The first month of the semester ``day`` falls in (January or July)."""
    return YearMonth(day.year, 1 if day.month <= 6 else 7)


class ReferenceTables:
    """The UTM, IPC and interest-rate tables the rules read, with lookups that say exactly what is missing."""

    def __init__(
        self,
        utm: Iterable[UtmValue],
        ipc: Iterable[IpcVariation],
        rates: Iterable[SemestralRate] = (),
        *,
        percent_decimals: int = 1,
    ):
        self._utm: dict[YearMonth, UtmValue] = {}
        for utm_value in utm:
            if utm_value.month in self._utm:
                raise InvalidInput(
                    f"La UTM de {utm_value.month} está repetida.", code="duplicate_utm", field="month"
                )
            self._utm[utm_value.month] = utm_value
        self._ipc: dict[YearMonth, IpcVariation] = {}
        for variation in ipc:
            if variation.month in self._ipc:
                raise InvalidInput(
                    f"El IPC de {variation.month} está repetido.", code="duplicate_ipc", field="month"
                )
            self._ipc[variation.month] = variation
        self._rates: dict[YearMonth, SemestralRate] = {}
        for rate in rates:
            if rate.first_month in self._rates:
                raise InvalidInput(
                    f"La tasa de interés de {rate.label} está repetida.", code="duplicate_rate", field="month"
                )
            self._rates[rate.first_month] = rate
        self.percent_decimals = percent_decimals

    @classmethod
    def from_records(
        cls,
        utm_records: Iterable[Mapping[str, object]],
        ipc_records: Iterable[Mapping[str, object]],
        rate_records: Iterable[Mapping[str, object]] = (),
    ) -> ReferenceTables:
        """Tables from plain records, as stored or as sent by the admin route.

        UTM record: ``{"month": "2027-01", "value": 72153, "source": "...", "projected": false}``.
        IPC record: ``{"month": "2027-02", "variation_percent": "0.3", "source": "...", "projected": true}``.
        Rate record: ``{"month": "2025-07", "annual_percent": "8.00", "source": "...", "projected": false}``.
        """
        return cls(
            [utm_value_from_record(record) for record in utm_records],
            [ipc_variation_from_record(record) for record in ipc_records],
            [semestral_rate_from_record(record) for record in rate_records],
        )

    def interest_rate(self, day: date, *, field: str = "payment_date") -> SemestralRate:
        """The semestral penalty-interest rate in force on ``day``, or RuleRefused(interest_rate_missing)."""
        start = semester_start(day)
        try:
            return self._rates[start]
        except KeyError:
            half = "primer" if start.month == 1 else "segundo"
            raise RuleRefused(
                f"No hay tasa de interés moratorio (art. 53 Código Tributario) cargada para el {half} "
                f"semestre de {start.year}. El administrador debe ingresar la tasa publicada por el SII "
                "antes de calcular.",
                code="interest_rate_missing",
                field=field,
            ) from None

    def rate_semesters(self) -> list[SemestralRate]:
        """Every loaded semestral rate, oldest first."""
        return [self._rates[month] for month in sorted(self._rates)]

    def utm(self, month: YearMonth, *, field: str = "year") -> UtmValue:
        """The UTM of ``month``, or RuleRefused(utm_missing) naming the month."""
        try:
            return self._utm[month]
        except KeyError:
            raise RuleRefused(
                f"No hay valor de UTM cargado para {month}. "
                "El administrador debe ingresarlo antes de calcular.",
                code="utm_missing",
                field=field,
            ) from None

    def ipc(self, month: YearMonth, *, field: str = "year") -> IpcVariation:
        """The IPC variation of ``month``, or RuleRefused(ipc_missing) naming the month."""
        try:
            return self._ipc[month]
        except KeyError:
            raise RuleRefused(
                f"No hay variación del IPC cargada para {month}. "
                "El administrador debe ingresarla antes de calcular.",
                code="ipc_missing",
                field=field,
            ) from None

    def ipc_accumulated(
        self, first: YearMonth, last: YearMonth, *, floor_at_zero: bool = True, field: str = "year"
    ) -> IpcAdjustment:
        """The compounded IPC variation of the months ``first`` through ``last`` (none if last < first)."""
        months = tuple(self.ipc(month, field=field) for month in first.through(last))
        factor = Decimal(1)
        for variation in months:
            factor = mul(factor, 1 + mul(variation.percent, Decimal("0.01")))
        quantum = Decimal(1).scaleb(-self.percent_decimals)
        accumulated = mul(factor - 1, 100).quantize(quantum, rounding=ROUND_HALF_UP)
        floored = floor_at_zero and accumulated < 0
        return IpcAdjustment(
            months, accumulated, Decimal(0).quantize(quantum) if floored else accumulated, floored
        )

    def utm_months(self) -> list[UtmValue]:
        """Every loaded UTM, oldest first."""
        return [self._utm[month] for month in sorted(self._utm)]

    def ipc_months(self) -> list[IpcVariation]:
        """Every loaded IPC variation, oldest first."""
        return [self._ipc[month] for month in sorted(self._ipc)]


def utm_value_from_record(record: Mapping[str, object]) -> UtmValue:
    """One UTM record validated: month ``YYYY-MM``, a positive whole-peso value, a source."""
    month = YearMonth.parse(str(record.get("month", "")), field="month")
    value = require_int(
        record.get("value"),
        field="value",
        code="invalid_utm",
        minimum=1,
        maximum=10_000_000,
        what="El valor de la UTM",
    )
    return UtmValue(month, value, str(record.get("source", "")), bool(record.get("projected", False)))


def ipc_variation_from_record(record: Mapping[str, object]) -> IpcVariation:
    """One IPC record validated: month ``YYYY-MM`` and a monthly variation in percent."""
    month = YearMonth.parse(str(record.get("month", "")), field="month")
    percent = require_decimal(
        record.get("variation_percent"),
        field="variation_percent",
        code="invalid_ipc",
        what="La variación del IPC",
    )
    if abs(percent) > MAX_MONTHLY_IPC_PERCENT:
        raise InvalidInput(
            f"La variación mensual del IPC debe estar entre -{MAX_MONTHLY_IPC_PERCENT}% y "
            f"{MAX_MONTHLY_IPC_PERCENT}%.",
            code="invalid_ipc",
            field="variation_percent",
        )
    return IpcVariation(month, percent, str(record.get("source", "")), bool(record.get("projected", False)))


MAX_ANNUAL_RATE_PERCENT: Final = Decimal(60)
"""Sanity cap on a semestral penalty rate (the CMF rate plus 3,5 has been far below it)."""


def semestral_rate_from_record(record: Mapping[str, object]) -> SemestralRate:
    """One rate record validated: ``month`` January or July of a year, a positive yearly percent, a source."""
    month = YearMonth.parse(str(record.get("month", "")), field="month")
    if month.month not in (1, 7):
        raise InvalidInput(
            "La tasa semestral se identifica por el primer mes del semestre: AAAA-01 o AAAA-07.",
            code="invalid_rate_month",
            field="month",
        )
    if month < YearMonth(2025, 1):
        raise InvalidInput(
            "No hay tasa semestral antes de 2025: el interés diario del art. 53 (Ley 21.713) rige desde el "
            "01-01-2025; hasta el 31-12-2024 rigió el 1,5% mensual.",
            code="invalid_rate_month",
            field="month",
        )
    percent = require_decimal(
        record.get("annual_percent"),
        field="annual_percent",
        code="invalid_rate",
        what="La tasa de interés semestral",
    )
    if not Decimal(0) < percent <= MAX_ANNUAL_RATE_PERCENT:
        raise InvalidInput(
            f"La tasa de interés semestral debe ser mayor que 0 y como máximo {MAX_ANNUAL_RATE_PERCENT}%.",
            code="invalid_rate",
            field="annual_percent",
        )
    return SemestralRate(month, percent, str(record.get("source", "")), bool(record.get("projected", False)))
