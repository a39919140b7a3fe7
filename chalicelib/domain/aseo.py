"""Derechos de aseo (DL 3063 arts. 6–9): the yearly household-waste fee and its installments.

- The yearly tariff per unit type (vivienda, local comercial, oficina…) comes from the municipal
  ordinance, in pesos or in UTM (UTM of January of the year, like patentes), rounded.
- Dwellings (unit types marked ``dwelling``) with avalúo fiscal ≤ 225 UTM are exempt; the UTM is
  also that of January of the year (choice kept in :func:`aseo_utm_month`).
- Installments on the dates the municipality chooses (e.g. April, June, September, November):
  each is yearly // n, and the leftover pesos go one each to the earliest installments, so the
  parts add up exactly to the yearly amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from chalicelib.domain.checks import (
    MAX_PESOS,
    require_decimal,
    require_enum,
    require_mapping,
    require_pesos,
    require_year,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.late_payment import surcharge_installments
from chalicelib.domain.money import ROUNDING_RULE_TEXT, decimal_text, mul, split_evenly, to_pesos
from chalicelib.domain.permit_rules import MonthDay
from chalicelib.domain.units import ReferenceTables, YearMonth


class TariffUnit(StrEnum):
    """What an ordinance's yearly tariff is expressed in."""

    CLP = "CLP"
    UTM = "UTM"


def aseo_utm_month(year: int) -> YearMonth:
    """The UTM month for aseo tariffs in UTM and for the 225 UTM exemption: January of ``year``."""
    return YearMonth(year, 1)


@dataclass(frozen=True)
class AseoTariff:
    """The yearly aseo fee of one unit type, per ordinance."""

    unit_type: str
    annual: Decimal
    unit: TariffUnit
    dwelling: bool
    source: str = ""


@dataclass(frozen=True)
class AseoRules:
    """One municipality's aseo ordinance: tariffs, installment dates, exemption threshold."""

    tariffs: Mapping[str, AseoTariff]
    installment_dues: tuple[MonthDay, ...]
    exemption_utm: Decimal = Decimal(225)

    def __post_init__(self) -> None:
        if not self.installment_dues:
            raise InvalidInput(
                "Se requiere al menos una fecha de cuota.", code="invalid_rules", field="installment_dues"
            )
        if list(self.installment_dues) != sorted(self.installment_dues, key=lambda d: (d.month, d.day)):
            raise InvalidInput(
                "Las fechas de las cuotas deben estar en orden.",
                code="invalid_rules",
                field="installment_dues",
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AseoRules:
        """Rules from plain data (see ``reference_data.ASEO_RULES``)."""
        tariffs: dict[str, AseoTariff] = {}
        for unit_type, raw in require_mapping(data.get("tariffs", {}), field="tariffs").items():
            tariff = require_mapping(raw, field="tariffs", code="invalid_rules")
            tariffs[str(unit_type)] = AseoTariff(
                str(unit_type),
                require_decimal(
                    tariff.get("annual"), field="tariffs", code="invalid_rules", what="La tarifa"
                ),
                require_enum(
                    TariffUnit,
                    tariff.get("unit", "CLP"),
                    field="tariffs",
                    code="invalid_rules",
                    what="La unidad de la tarifa",
                ),
                bool(tariff.get("dwelling", False)),
                str(tariff.get("source", "")),
            )
        dues = data.get("installment_dues", [])
        if not isinstance(dues, list | tuple):
            raise InvalidInput(
                "Se esperaba una lista de fechas.", code="invalid_rules", field="installment_dues"
            )
        return cls(tariffs, tuple(MonthDay.parse(due, field="installment_dues") for due in dues))


@dataclass(frozen=True)
class AseoRequest:
    """A unit to bill: its type in the ordinance, the year, and (for dwellings) the avalúo fiscal."""

    unit_type: str
    year: int
    avaluo_fiscal: int | None = None
    payment_date: date | None = None
    """When given, each installment already due then carries art. 53 readjustment and interest."""

    def __post_init__(self) -> None:
        if not isinstance(self.unit_type, str) or not self.unit_type:
            raise InvalidInput("Falta el tipo de unidad.", code="invalid_unit_type", field="unit_type")
        require_year(self.year)
        if self.avaluo_fiscal is not None:
            require_pesos(
                self.avaluo_fiscal,
                field="avaluo_fiscal",
                code="invalid_avaluo",
                what="El avalúo fiscal",
                maximum=MAX_PESOS * 100,
            )


@dataclass(frozen=True)
class AseoResult:
    """The yearly fee (0 if exempt), its installments ``[{"number", "due", "amount"}]``, the breakdown."""

    amount: int
    exempt: bool
    installments: list[dict[str, object]]
    estimated: bool
    breakdown: dict[str, object]


def compute_aseo(request: AseoRequest, tables: ReferenceTables, rules: AseoRules) -> AseoResult:
    """The aseo fee of ``request`` under ``rules`` (see the module docstring)."""
    try:
        tariff = rules.tariffs[request.unit_type]
    except KeyError:
        accepted = ", ".join(sorted(rules.tariffs))
        raise InvalidInput(
            f"El tipo de unidad no existe en la ordenanza. Tipos: {accepted}.",
            code="invalid_unit_type",
            field="unit_type",
        ) from None
    utm = tables.utm(aseo_utm_month(request.year), field="year")
    breakdown: dict[str, object] = {
        "inputs": {
            "unit_type": request.unit_type,
            "year": request.year,
            "avaluo_fiscal": request.avaluo_fiscal,
        },
        "utm": utm.to_json(),
        "tariff": {
            "annual": decimal_text(tariff.annual),
            "unit": tariff.unit.value,
            "dwelling": tariff.dwelling,
            "source": tariff.source,
        },
        "rounding_rule": ROUNDING_RULE_TEXT,
    }
    exempt = False
    if tariff.dwelling:
        if request.avaluo_fiscal is None:
            raise InvalidInput(
                "Para una vivienda se requiere el avalúo fiscal.",
                code="avaluo_required",
                field="avaluo_fiscal",
            )
        threshold = mul(rules.exemption_utm, utm.value)
        exempt = request.avaluo_fiscal <= threshold
        breakdown["exemption"] = {
            "legal_basis": "DL 3063 art. 7: viviendas con avalúo fiscal ≤ 225 UTM",
            "threshold_utm": decimal_text(rules.exemption_utm),
            "threshold_pesos": decimal_text(threshold),
            "avaluo_fiscal": request.avaluo_fiscal,
            "exempt": exempt,
        }
    exact_value = tariff.annual if tariff.unit is TariffUnit.CLP else mul(tariff.annual, utm.value)
    yearly = 0 if exempt else to_pesos(exact_value)
    parts = split_evenly(yearly, len(rules.installment_dues))
    installments: list[dict[str, object]] = [
        {"number": index + 1, "due": due.in_year(request.year).isoformat(), "amount": part}
        for index, (due, part) in enumerate(zip(rules.installment_dues, parts, strict=True))
    ]
    estimated = utm.projected
    if request.payment_date is not None:
        breakdown["payment_date"] = request.payment_date.isoformat()
        estimated = surcharge_installments(installments, request.payment_date, tables) or estimated
    breakdown.update(
        {
            "exact": decimal_text(exact_value),
            "amount": yearly,
            "split_rule": "cada cuota = anual // n; los pesos sobrantes van uno a uno a las primeras cuotas",
            "installments": installments,
            "estimated": estimated,
        }
    )
    return AseoResult(yearly, exempt, installments, estimated, breakdown)
