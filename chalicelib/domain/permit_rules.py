"""The parameters of the permiso de circulación, as data a municipality (or the law) sets.

Nothing here computes: it holds the light-vehicle scale, the class tariffs, deadlines, the EV
schedule and the municipal options, each with its source and whether that source was verified.
``PermitRules.from_dict`` builds them from plain data (the seed in ``reference_data``, or a
municipality's stored configuration merged over it).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from chalicelib.domain.checks import require_decimal, require_enum, require_int, require_mapping
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import decimal_text


class VehicleClass(StrEnum):
    """The ``vehicle_class`` values of the simulate route (docs/contract.md)."""

    LIGHT = "light"
    """Automóviles, station wagons, camionetas and other light vehicles valued by SII."""
    MOTORCYCLE = "motorcycle"
    MOPED = "moped"
    """Motonetas, bicimotos and bicicletas con motor: due 30 September."""
    TAXI = "taxi"
    BUS = "bus"
    TRUCK = "truck"
    """Vehículos de carga (camiones), by carrying capacity."""
    TRACTOR_TRUCK = "tractor_truck"
    """Tractocamiones."""
    TRAILER_LIGHT = "trailer_light"
    """Remolques y semirremolques up to 1.750 kg."""
    TRAILER_HEAVY = "trailer_heavy"
    """Remolques y semirremolques over 1.750 kg."""
    TRACTOR = "tractor"
    """Tractores agrícolas on public roads."""
    MACHINERY = "machinery"
    """Maquinaria automotriz (self-propelled machinery) on public roads."""


class TariffMethod(StrEnum):
    """How a class's yearly tax is set."""

    SCALE = "scale"
    """Progressive scale over the tasación (art. 12 a)."""
    FIXED_UTM = "fixed_utm"
    """A fixed number of UTM, possibly by carrying-capacity band."""


@dataclass(frozen=True)
class MonthDay:
    """A day of the year (deadline), e.g. 31 March."""

    month: int
    day: int

    def in_year(self, year: int) -> date:
        """This day in ``year``."""
        return date(year, self.month, self.day)

    @classmethod
    def parse(cls, text: object, *, field: str) -> MonthDay:
        """``"03-31"`` → MonthDay(3, 31)."""
        try:
            month_text, day_text = str(text).split("-")
            result = cls(int(month_text), int(day_text))
            date(2001, result.month, result.day)
        except ValueError:
            raise InvalidInput(
                "La fecha límite debe tener el formato MM-DD (por ejemplo 03-31).",
                code="invalid_rules",
                field=field,
            ) from None
        return result

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class ScaleBracket:
    """One bracket of the progressive scale: the part of the base between two UTM marks."""

    lower_utm: Decimal
    upper_utm: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class CapacityBand:
    """A carrying-capacity band of a fixed-UTM class: up to ``up_to_kg`` (None = no upper limit)."""

    up_to_kg: int | None
    utm: Decimal


@dataclass(frozen=True)
class ClassRule:
    """Everything that depends on the vehicle class."""

    vehicle_class: VehicleClass
    method: TariffMethod
    deadline: MonthDay
    second_installment_due: MonthDay | None
    fixed_utm: Decimal | None = None
    capacity_bands: tuple[CapacityBand, ...] = ()
    source: str = ""
    verified: bool = False

    def to_json(self) -> dict[str, object]:
        """The class parameters as shown in a breakdown."""
        data: dict[str, object] = {
            "vehicle_class": self.vehicle_class.value,
            "method": self.method.value,
            "deadline": str(self.deadline),
            "second_installment_due": str(self.second_installment_due)
            if self.second_installment_due
            else None,
            "source": self.source,
            "verified": self.verified,
        }
        if self.fixed_utm is not None:
            data["fixed_utm"] = decimal_text(self.fixed_utm)
        if self.capacity_bands:
            data["capacity_bands"] = [
                {"up_to_kg": band.up_to_kg, "utm": decimal_text(band.utm)} for band in self.capacity_bands
            ]
        return data


EV_FIRST_LAW_YEAR = 2023
"""Ley 21.505 counts its calendar years from 1 February 2023 (the 2023 permit)."""


@dataclass(frozen=True)
class EvStage:
    """Share of the permit an eligible electric / plug-in hybrid pays for the permits of the
    CALENDAR years ``first_year``–``last_year`` (Ley 21.505, art. 2° transitorio)."""

    first_year: int
    last_year: int
    percent: Decimal

    def __post_init__(self) -> None:
        if self.first_year < EV_FIRST_LAW_YEAR or self.last_year < self.first_year:
            raise InvalidInput(
                "Cada tramo de la rebaja de vehículos eléctricos se expresa en años calendario del permiso "
                f"desde {EV_FIRST_LAW_YEAR} (Ley 21.505), con el año final no anterior al inicial.",
                code="invalid_rules",
                field="ev_schedule",
            )
        if not Decimal(0) <= self.percent <= Decimal(100):
            raise InvalidInput(
                "El porcentaje de la rebaja debe estar entre 0 y 100.", code="invalid_rules", field="ev_schedule"
            )


@dataclass(frozen=True)
class PermitRules:
    """All parameters of the permit computation for one municipality.

    Law values (scale, minimum, EV schedule, interest, FCM share, duplicate) come from the seed
    and are the same everywhere; municipal values (class tariffs where the law was not verified,
    deadlines, the tasación percentage of zonas extremas) may be overridden per municipality.
    """

    light_scale: tuple[ScaleBracket, ...]
    minimum_utm: Decimal
    classes: Mapping[VehicleClass, ClassRule]
    ev_schedule: tuple[EvStage, ...]
    ev_min_model_year: int
    second_installment_ipc_months: tuple[int, int]
    late_interest_monthly_rate: Decimal
    fcm_share: Decimal
    duplicate_utm: Decimal
    tasacion_percent: Decimal = Decimal(100)
    tasacion_percent_reason: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_scale(self.light_scale)
        if not Decimal(0) < self.tasacion_percent <= Decimal(100):
            raise InvalidInput(
                "El porcentaje de la tasación debe ser mayor que 0 y como máximo 100.",
                code="invalid_rules",
                field="tasacion_percent",
            )
        if not Decimal(0) <= self.fcm_share <= Decimal(1):
            raise InvalidInput(
                "La participación del FCM debe estar entre 0 y 1.", code="invalid_rules", field="fcm_share"
            )
        first, last = self.second_installment_ipc_months
        if not 1 <= first <= last <= 12:
            raise InvalidInput(
                "Los meses del IPC de la segunda cuota no son válidos.",
                code="invalid_rules",
                field="second_installment_ipc_months",
            )
        missing = [c.value for c in VehicleClass if c not in self.classes]
        if missing:
            raise InvalidInput(
                f"Faltan las reglas de las clases: {', '.join(missing)}.",
                code="invalid_rules",
                field="classes",
            )

    def class_rule(self, vehicle_class: VehicleClass) -> ClassRule:
        """The rule of one class (every class has one: checked at construction)."""
        return self.classes[vehicle_class]

    def ev_stage(self, permit_year: int) -> EvStage | None:
        """The Ley 21.505 stage covering the permit's calendar year (None: before or after the schedule)."""
        for stage in self.ev_schedule:
            if stage.first_year <= permit_year <= stage.last_year:
                return stage
        return None

    def ev_percent(self, permit_year: int) -> Decimal:
        """Percent of the permit an eligible EV pays for the permit of ``permit_year`` (100 outside the schedule)."""
        stage = self.ev_stage(permit_year)
        return Decimal(100) if stage is None else stage.percent

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PermitRules:
        """Rules from plain data (see ``reference_data.PERMIT_RULES``); InvalidInput if malformed."""
        classes: dict[VehicleClass, ClassRule] = {}
        for raw in _sequence(data.get("classes"), "classes"):
            rule = _class_rule_from_dict(require_mapping(raw, field="classes", code="invalid_rules"))
            classes[rule.vehicle_class] = rule
        months = _sequence(data.get("second_installment_ipc_months"), "second_installment_ipc_months")
        if len(months) != 2:
            raise InvalidInput(
                "Se esperan dos meses (primero y último).",
                code="invalid_rules",
                field="second_installment_ipc_months",
            )
        return cls(
            light_scale=tuple(
                ScaleBracket(
                    _dec(b, "lower_utm"),
                    None if b.get("upper_utm") is None else _dec(b, "upper_utm"),
                    _dec(b, "rate"),
                )
                for b in (
                    require_mapping(x, field="light_scale", code="invalid_rules")
                    for x in _sequence(data.get("light_scale"), "light_scale")
                )
            ),
            minimum_utm=_dec(data, "minimum_utm"),
            classes=classes,
            ev_schedule=tuple(
                EvStage(_int(s, "first_year"), _int(s, "last_year"), _dec(s, "percent"))
                for s in (
                    require_mapping(x, field="ev_schedule", code="invalid_rules")
                    for x in _sequence(data.get("ev_schedule"), "ev_schedule")
                )
            ),
            ev_min_model_year=_int(data, "ev_min_model_year"),
            second_installment_ipc_months=(
                require_int(
                    months[0],
                    field="second_installment_ipc_months",
                    code="invalid_rules",
                    minimum=1,
                    maximum=12,
                    what="El mes",
                ),
                require_int(
                    months[1],
                    field="second_installment_ipc_months",
                    code="invalid_rules",
                    minimum=1,
                    maximum=12,
                    what="El mes",
                ),
            ),
            late_interest_monthly_rate=_dec(data, "late_interest_monthly_rate"),
            fcm_share=_dec(data, "fcm_share"),
            duplicate_utm=_dec(data, "duplicate_utm"),
            tasacion_percent=_dec(data, "tasacion_percent") if "tasacion_percent" in data else Decimal(100),
            tasacion_percent_reason=(
                str(data["tasacion_percent_reason"]) if data.get("tasacion_percent_reason") else None
            ),
            notes={str(k): str(v) for k, v in require_mapping(data.get("notes", {}), field="notes").items()},
        )


def merge_rules(base: Mapping[str, object], overrides: Mapping[str, object]) -> dict[str, object]:
    """A municipality's rules: the seed with its overrides on top.

    Top-level keys replace the seed's; ``classes`` is merged per class (an override names the
    ``vehicle_class`` and the keys it changes).
    """
    merged = dict(base)
    for key, value in overrides.items():
        if key != "classes":
            merged[key] = value
    if "classes" in overrides:
        by_class = {
            str(require_mapping(c, field="classes")["vehicle_class"]): dict(
                require_mapping(c, field="classes")
            )
            for c in _sequence(base.get("classes"), "classes")
        }
        for change in _sequence(overrides["classes"], "classes"):
            change_map = require_mapping(change, field="classes", code="invalid_rules")
            name = str(change_map.get("vehicle_class"))
            by_class[name] = {**by_class.get(name, {}), **change_map}
        merged["classes"] = list(by_class.values())
    return merged


def _check_scale(scale: Sequence[ScaleBracket]) -> None:
    if not scale or scale[0].lower_utm != 0 or scale[-1].upper_utm is not None:
        raise InvalidInput(
            "La escala debe partir en 0 UTM y terminar sin límite superior.",
            code="invalid_rules",
            field="light_scale",
        )
    for previous, current in itertools.pairwise(scale):
        if previous.upper_utm is None or previous.upper_utm != current.lower_utm:
            raise InvalidInput(
                "Los tramos de la escala deben ser contiguos.", code="invalid_rules", field="light_scale"
            )
    for bracket in scale:
        if bracket.upper_utm is not None and bracket.upper_utm <= bracket.lower_utm:
            raise InvalidInput(
                "Cada tramo debe tener un límite superior mayor que el inferior.",
                code="invalid_rules",
                field="light_scale",
            )
        if not Decimal(0) <= bracket.rate <= Decimal(1):
            raise InvalidInput(
                "Cada tasa de la escala debe estar entre 0 y 1.", code="invalid_rules", field="light_scale"
            )


def _class_rule_from_dict(data: Mapping[str, object]) -> ClassRule:
    vehicle_class = require_enum(
        VehicleClass,
        data.get("vehicle_class"),
        field="vehicle_class",
        code="invalid_rules",
        what="La clase de vehículo",
    )
    method = require_enum(
        TariffMethod, data.get("method"), field="method", code="invalid_rules", what="El método de cálculo"
    )
    second = data.get("second_installment_due")
    bands = tuple(
        CapacityBand(None if b.get("up_to_kg") is None else _int(b, "up_to_kg"), _dec(b, "utm"))
        for b in (
            require_mapping(x, field="capacity_bands", code="invalid_rules")
            for x in _sequence(data.get("capacity_bands", []), "capacity_bands")
        )
    )
    fixed = None if data.get("fixed_utm") is None else _dec(data, "fixed_utm")
    if method is TariffMethod.FIXED_UTM and fixed is None and not bands:
        raise InvalidInput(
            f"La clase {vehicle_class.value} necesita un valor en UTM o tramos por capacidad.",
            code="invalid_rules",
            field="fixed_utm",
        )
    if bands and bands[-1].up_to_kg is not None:
        raise InvalidInput(
            "El último tramo de capacidad no debe tener límite superior.",
            code="invalid_rules",
            field="capacity_bands",
        )
    return ClassRule(
        vehicle_class=vehicle_class,
        method=method,
        deadline=MonthDay.parse(data.get("deadline"), field="deadline"),
        second_installment_due=None
        if second is None
        else MonthDay.parse(second, field="second_installment_due"),
        fixed_utm=fixed,
        capacity_bands=bands,
        source=str(data.get("source", "")),
        verified=bool(data.get("verified", False)),
    )


def _sequence(value: object, field_name: str) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        raise InvalidInput("Se esperaba una lista.", code="invalid_rules", field=field_name)
    return value


def _dec(data: Mapping[str, object], key: str) -> Decimal:
    return require_decimal(data.get(key), field=key, code="invalid_rules", what=f"El valor de {key}")


def _int(data: Mapping[str, object], key: str) -> int:
    return require_int(
        data.get(key),
        field=key,
        code="invalid_rules",
        minimum=0,
        maximum=1_000_000,
        what=f"El valor de {key}",
    )
