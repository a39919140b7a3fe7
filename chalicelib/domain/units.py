"""UTM and IPC by month: the units the law measures in, as data loaded by the administrator.

- The UTM (unidad tributaria mensual) is a peso value per month published by SII.
- The IPC monthly variation (INE) is a percentage per month, e.g. ``0.7`` for +0,7%.

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


class ReferenceTables:
    """The UTM and IPC tables the rules read, with lookups that say exactly what is missing."""

    def __init__(self, utm: Iterable[UtmValue], ipc: Iterable[IpcVariation], *, percent_decimals: int = 1):
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
        self.percent_decimals = percent_decimals

    @classmethod
    def from_records(
        cls, utm_records: Iterable[Mapping[str, object]], ipc_records: Iterable[Mapping[str, object]]
    ) -> ReferenceTables:
        """Tables from plain records, as stored or as sent by the admin route.

        UTM record: ``{"month": "2027-01", "value": 72153, "source": "...", "projected": false}``.
        IPC record: ``{"month": "2027-02", "variation_percent": "0.3", "source": "...", "projected": true}``.
        """
        return cls(
            [utm_value_from_record(record) for record in utm_records],
            [ipc_variation_from_record(record) for record in ipc_records],
        )

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
