"""Patentes municipales (DL 3063 arts. 23–27): the yearly value and its two semesters.

- Comercial, industrial and provisoria: rate per mille (set by the municipality between 2,5‰ and
  5‰, possibly per zone) × capital propio, at least 1 UTM and at most 8.000 UTM, rounded.
- Profesional: a yearly amount in UTM from the municipal tariff (seeded, unverified), rounded.
- Micro empresa familiar (Ley 19.749; DL 3063 art. 26): the law exempts it from prior permits
  but sets no special tariff, so its patente follows art. 24 on its capital propio like a
  comercial one — unless the municipality's ordinance sets a tariff (municipal data, with its
  source), which then applies.
- Exempt entities (art. 27, e.g. non-profits): 0, with the reason.
- Two semesters due 31 January and 31 July: first = yearly − yearly // 2, second = yearly // 2,
  so they add up exactly.

WHICH UTM: the UTM of January of the patente year, for the whole year (both semesters and the
1/8.000 UTM limits). This choice lives only in :func:`patente_utm_month`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from chalicelib.domain.checks import (
    MAX_CAPITAL_PESOS,
    require_date,
    require_decimal,
    require_enum,
    require_mapping,
    require_pesos,
    require_year,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.late_payment import surcharge_installments
from chalicelib.domain.money import ROUNDING_RULE_TEXT, decimal_text, mul, split_in_halves, to_pesos
from chalicelib.domain.permit_rules import MonthDay
from chalicelib.domain.units import ReferenceTables, YearMonth

MIN_RATE_PER_MILLE: Final = Decimal("2.5")
MAX_RATE_PER_MILLE: Final = Decimal(5)


class PatenteKind(StrEnum):
    """The ``kind`` values of the patentes simulate route."""

    COMERCIAL = "comercial"
    INDUSTRIAL = "industrial"
    PROVISORIA = "provisoria"
    PROFESIONAL = "profesional"
    MICRO_EMPRESA_FAMILIAR = "micro_empresa_familiar"


CAPITAL_KINDS: Final = frozenset({PatenteKind.COMERCIAL, PatenteKind.INDUSTRIAL, PatenteKind.PROVISORIA})


def patente_utm_month(year: int) -> YearMonth:
    """The UTM month a patente of ``year`` is valued in: January of that year (see module docstring)."""
    return YearMonth(year, 1)


@dataclass(frozen=True)
class FixedPatenteTariff:
    """A yearly patente in UTM set by municipal tariff (profesional, micro empresa familiar)."""

    utm: Decimal
    source: str
    verified: bool = False


@dataclass(frozen=True)
class PatenteRules:
    """One municipality's patente parameters."""

    rate_per_mille: Decimal
    fixed_tariffs: Mapping[PatenteKind, FixedPatenteTariff]
    zone_rates: Mapping[str, Decimal] = field(default_factory=dict)
    minimum_utm: Decimal = Decimal(1)
    maximum_utm: Decimal = Decimal(8000)
    semester_dues: tuple[MonthDay, MonthDay] = (MonthDay(1, 31), MonthDay(7, 31))

    def __post_init__(self) -> None:
        _check_rate(self.rate_per_mille, "rate_per_mille")
        for zone, rate in self.zone_rates.items():
            _check_rate(rate, f"zone_rates.{zone}")
        for kind in (PatenteKind.PROFESIONAL,):
            if kind not in self.fixed_tariffs:
                raise InvalidInput(
                    f"Falta la tarifa municipal de la patente {kind.value}.",
                    code="invalid_rules",
                    field="fixed_tariffs",
                )

    def rate_for(self, zone: str | None) -> Decimal:
        """The rate of ``zone``, or the municipality's rate when no zone (or an unknown one) is given."""
        if zone is None:
            return self.rate_per_mille
        try:
            return self.zone_rates[zone]
        except KeyError:
            raise InvalidInput(
                "La zona indicada no existe en esta municipalidad.", code="invalid_zone", field="zone"
            ) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PatenteRules:
        """Rules from plain data (see ``reference_data.PATENTE_RULES``)."""
        tariffs: dict[PatenteKind, FixedPatenteTariff] = {}
        for kind_name, raw in require_mapping(data.get("fixed_tariffs", {}), field="fixed_tariffs").items():
            kind = require_enum(
                PatenteKind, kind_name, field="fixed_tariffs", code="invalid_rules", what="El tipo de patente"
            )
            tariff = require_mapping(raw, field="fixed_tariffs", code="invalid_rules")
            tariffs[kind] = FixedPatenteTariff(
                require_decimal(
                    tariff.get("utm"), field="fixed_tariffs", code="invalid_rules", what="La tarifa"
                ),
                str(tariff.get("source", "")),
                bool(tariff.get("verified", False)),
            )
        zones = {
            str(zone): require_decimal(
                rate, field=f"zone_rates.{zone}", code="invalid_patente_rate", what="La tasa de la zona"
            )
            for zone, rate in require_mapping(data.get("zone_rates", {}), field="zone_rates").items()
        }
        return cls(
            rate_per_mille=require_decimal(
                data.get("rate_per_mille"),
                field="rate_per_mille",
                code="invalid_patente_rate",
                what="La tasa por mil",
            ),
            fixed_tariffs=tariffs,
            zone_rates=zones,
        )


@dataclass(frozen=True)
class PatenteRequest:
    """What the patentes simulate route asks for. Construction validates every field."""

    kind: PatenteKind
    year: int
    capital_propio: int | None = None
    zone: str | None = None
    exempt_reason: str | None = None
    payment_date: date | None = None

    def __post_init__(self) -> None:
        kind = require_enum(
            PatenteKind, self.kind, field="kind", code="invalid_patente_kind", what="El tipo de patente"
        )
        object.__setattr__(self, "kind", kind)  # frozen: normalize a plain-string kind to the member
        require_year(self.year)
        if self.capital_propio is not None:
            require_pesos(
                self.capital_propio,
                field="capital_propio",
                code="invalid_capital",
                what="El capital propio",
                maximum=MAX_CAPITAL_PESOS,
            )
        if self.kind in CAPITAL_KINDS and self.capital_propio is None and self.exempt_reason is None:
            raise InvalidInput(
                "Para esta patente se requiere el capital propio.",
                code="capital_required",
                field="capital_propio",
            )

    @classmethod
    def parse(cls, body: object) -> PatenteRequest:
        """A request from the JSON body ``{"kind", "capital_propio", "year", "zone"?, "exempt_reason"?,
        "payment_date"?}``."""
        data = require_mapping(body, field="body")
        unknown = sorted(set(data) - {"kind", "capital_propio", "year", "zone", "exempt_reason", "payment_date"})
        if unknown:
            raise InvalidInput(f"Campo no reconocido: {unknown[0]}.", code="unknown_field", field=unknown[0])
        if "year" not in data:
            raise InvalidInput("Falta el año de la patente.", code="invalid_year", field="year")
        zone = data.get("zone")
        reason = data.get("exempt_reason")
        if zone is not None and not isinstance(zone, str):
            raise InvalidInput("La zona debe ser un texto.", code="invalid_zone", field="zone")
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            raise InvalidInput(
                "El motivo de la exención debe ser un texto.",
                code="invalid_exempt_reason",
                field="exempt_reason",
            )
        return cls(
            kind=require_enum(
                PatenteKind,
                data.get("kind"),
                field="kind",
                code="invalid_patente_kind",
                what="El tipo de patente",
            ),
            year=require_year(data["year"]),
            capital_propio=None
            if data.get("capital_propio") is None
            else require_pesos(
                data["capital_propio"],
                field="capital_propio",
                code="invalid_capital",
                what="El capital propio",
                maximum=MAX_CAPITAL_PESOS,
            ),
            zone=zone,
            exempt_reason=reason,
            payment_date=None
            if data.get("payment_date") is None
            else require_date(data["payment_date"], field="payment_date"),
        )


@dataclass(frozen=True)
class PatenteResult:
    """The yearly patente, its semesters ``[{"semester", "due", "amount"}]`` and the breakdown."""

    amount: int
    installments: list[dict[str, object]]
    estimated: bool
    breakdown: dict[str, object]


def compute_patente(request: PatenteRequest, tables: ReferenceTables, rules: PatenteRules) -> PatenteResult:
    """The patente of ``request`` under ``rules`` (see the module docstring for the rule)."""
    utm = tables.utm(patente_utm_month(request.year), field="year")
    breakdown: dict[str, object] = {
        "inputs": {
            "kind": request.kind.value,
            "year": request.year,
            "capital_propio": request.capital_propio,
            "zone": request.zone,
            "exempt_reason": request.exempt_reason,
        },
        "utm": utm.to_json(),
        "utm_rule": "UTM de enero del año de la patente, para ambos semestres",
        "rounding_rule": ROUNDING_RULE_TEXT,
    }
    rounding: list[dict[str, object]] = []
    if request.exempt_reason is not None:
        yearly = 0
        breakdown["exempt"] = {"legal_basis": "DL 3063 art. 27", "reason": request.exempt_reason}
    elif request.kind in CAPITAL_KINDS or (
        request.kind is PatenteKind.MICRO_EMPRESA_FAMILIAR and request.kind not in rules.fixed_tariffs
    ):
        if request.capital_propio is None:
            raise InvalidInput(
                "Para esta patente se requiere el capital propio (DL 3063 art. 24; la municipalidad no tiene "
                "tarifa de ordenanza para micro empresa familiar).",
                code="capital_required",
                field="capital_propio",
            )
        rate = rules.rate_for(request.zone)
        exact_value = mul(request.capital_propio, rate, Decimal("0.001"))
        minimum = mul(rules.minimum_utm, utm.value)
        maximum = mul(rules.maximum_utm, utm.value)
        bounded = min(max(exact_value, minimum), maximum)
        yearly = to_pesos(bounded)
        rounding.append({"step": "patente anual", "exact": decimal_text(bounded), "pesos": yearly})
        breakdown.update(
            {
                "legal_basis": (
                    "DL 3063 art. 24: tasa por mil del capital propio, mínimo 1 UTM, máximo 8.000 UTM"
                    + (
                        "; micro empresa familiar: art. 26 la exime de permisos previos, sin tarifa especial "
                        "(sin tarifa de ordenanza municipal)"
                        if request.kind is PatenteKind.MICRO_EMPRESA_FAMILIAR
                        else ""
                    )
                ),
                "rate_per_mille": decimal_text(rate),
                "capital_propio": request.capital_propio,
                "exact": decimal_text(exact_value),
                "minimum": {
                    "utm": decimal_text(rules.minimum_utm),
                    "pesos": decimal_text(minimum),
                    "applied": exact_value < minimum,
                },
                "maximum": {
                    "utm": decimal_text(rules.maximum_utm),
                    "pesos": decimal_text(maximum),
                    "applied": exact_value > maximum,
                },
            }
        )
    else:
        tariff = rules.fixed_tariffs[request.kind]
        exact_value = mul(tariff.utm, utm.value)
        yearly = to_pesos(exact_value)
        rounding.append({"step": "patente anual", "exact": decimal_text(exact_value), "pesos": yearly})
        breakdown["tariff"] = {
            "legal_basis": "tarifa de la ordenanza municipal",
            "utm": decimal_text(tariff.utm),
            "source": tariff.source,
            "verified": tariff.verified,
            "exact": decimal_text(exact_value),
        }
    first, second = split_in_halves(yearly)
    installments: list[dict[str, object]] = [
        {"semester": 1, "due": rules.semester_dues[0].in_year(request.year).isoformat(), "amount": first},
        {"semester": 2, "due": rules.semester_dues[1].in_year(request.year).isoformat(), "amount": second},
    ]
    estimated = utm.projected
    if request.payment_date is not None:
        breakdown["payment_date"] = request.payment_date.isoformat()
        estimated = surcharge_installments(installments, request.payment_date, tables) or estimated
    breakdown.update(
        {
            "amount": yearly,
            "semester_split": "primer semestre = anual − anual // 2; segundo = anual // 2",
            "installments": installments,
            "rounding_steps": rounding,
            "estimated": estimated,
        }
    )
    return PatenteResult(yearly, installments, estimated, breakdown)


def _check_rate(rate: Decimal, field_name: str) -> None:
    if not MIN_RATE_PER_MILLE <= rate <= MAX_RATE_PER_MILLE:
        raise InvalidInput(
            "La tasa de la patente debe estar entre 2,5 y 5 por mil (DL 3063 art. 24).",
            code="invalid_patente_rate",
            field=field_name,
        )
