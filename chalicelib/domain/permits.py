"""Permiso de circulación: what a vehicle owes for a permit year, with a breakdown to redo it by hand.

The computation, in order (each numbered line is a whole-peso amount rounded once, half up,
from the line before it; see ``money``):

1. Annual tax.
   - Classes valued by SII (``light``, and ``motorcycle`` in the seed): the base is the tasación
     (or, for a new vehicle, the net invoice value), times the municipality's tasación percent
     (100, or e.g. 50 in a zona extrema). The base is split into the brackets of the progressive
     cumulative scale, measured in UTM of January of the permit year; each bracket's part is
     taxed at its rate; the exact sum is compared with the minimum (½ UTM) and the larger is
     rounded (DL 3063 art. 12).
   - Other classes: a fixed number of UTM (by carrying-capacity band where the class has bands)
     times the January UTM, rounded.
2. New vehicle (first permit): line 1 × (13 − month of purchase) / 12, i.e. the months left in the
   year counting the month of purchase (March → 10/12), rounded.
3. Electric or plug-in hybrid manufactured in 2021 or later (Ley 21.505, art. 2° transitorio):
   the previous line × the percent of the PERMIT'S CALENDAR YEAR, counted from 1 February 2023
   for every eligible vehicle whatever its model year: permits 2023–2024 → 0% (exempt),
   2025–2026 → 25%, 2027–2028 → 50%, 2029–2030 → 75%, from 2031 → 100%; before 2023 there is
   no benefit (100%). Rounded.
4. Installments: full = the last line; first = full − full // 2 (an odd peso goes to the first);
   second = full // 2 readjusted by the point-to-point IPC variation between February and June
   of the permit year (index of June / index of February − 1, i.e. the compounded monthly
   variations of March through June; one decimal, floored at zero), rounded (DL 3063 art. 15:
   the second installment is readjusted by the IPC variation between February and June; the
   2022 adjustment published as 5,5% equals June/February 2022 — see docs/domain.md).
   first + (second before readjustment) = full exactly.
5. Late payment, when a payment date after the installment's deadline is given (Código
   Tributario art. 53; see ``late_payment``): IPC readjustment, then the interest of the rule in
   force on the payment date (1,5% per month or fraction up to 31-12-2024; from 1-1-2025 the
   daily rate of each semester, Ley 21.713).
6. Distribution: FCM share = total × 62,5%, rounded; municipal share = total − FCM share.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from chalicelib.domain.checks import (
    MAX_CAPACITY_KG,
    MAX_YEAR,
    require_date,
    require_enum,
    require_int,
    require_mapping,
    require_month,
    require_pesos,
    require_year,
)
from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.late_payment import LatePayment, late_payment
from chalicelib.domain.money import (
    ROUNDING_RULE_TEXT,
    decimal_text,
    div,
    format_date,
    mul,
    split_in_halves,
    to_pesos,
)
from chalicelib.domain.permit_rules import ClassRule, PermitRules, TariffMethod, VehicleClass
from chalicelib.domain.units import IpcAdjustment, ReferenceTables, UtmValue, YearMonth

MIN_MODEL_YEAR: Final = 1900
MIN_BACK_YEAR: Final = 2000
MAX_BACK_YEARS: Final = 30
EV_LAW: Final = "Ley 21.505, art. 2° transitorio"
SECOND_INSTALLMENT_LAW: Final = (
    "DL 3063 art. 15: segunda cuota reajustada según la variación del IPC entre febrero y junio del año "
    "(índice de junio / índice de febrero − 1)"
)


class Installment(StrEnum):
    """Which part of the permit is being paid."""

    FULL = "full"
    FIRST = "first"
    SECOND = "second"


class Propulsion(StrEnum):
    """How the vehicle is powered (only electric and plug-in hybrid change the amount)."""

    COMBUSTION = "combustion"
    ELECTRIC = "electric"
    PLUGIN_HYBRID = "plugin_hybrid"


@dataclass(frozen=True)
class NewVehicle:
    """A vehicle's first permit: the net invoice value and the month it was bought (1–12)."""

    net_invoice_value: int
    month: int


@dataclass(frozen=True)
class PermitRequest:
    """What the simulate and quote routes ask for. Construction validates every field.

    ``tasacion`` is required for classes valued by SII unless ``new_vehicle`` is given;
    ``model_year`` is required for electric and plug-in hybrid vehicles; ``capacity_kg`` for
    classes whose tariff goes by carrying capacity.
    """

    vehicle_class: VehicleClass
    year: int
    tasacion: int | None = None
    installment: Installment = Installment.FULL
    propulsion: Propulsion = Propulsion.COMBUSTION
    model_year: int | None = None
    new_vehicle: NewVehicle | None = None
    payment_date: date | None = None
    capacity_kg: int | None = None
    back_years: tuple[int, ...] = ()
    """Earlier permit years the plate skipped: each is owed (readjusted, with interest) before this one."""

    def __post_init__(self) -> None:
        # Frozen: a plain-string enum value is normalized to the member through object.__setattr__.
        checks: tuple[tuple[str, type[StrEnum], str, str], ...] = (
            ("vehicle_class", VehicleClass, "invalid_vehicle_class", "La clase de vehículo"),
            ("installment", Installment, "invalid_installment", "La cuota"),
            ("propulsion", Propulsion, "invalid_propulsion", "El tipo de propulsión"),
        )
        for name, enum, code, what in checks:
            object.__setattr__(
                self, name, require_enum(enum, getattr(self, name), field=name, code=code, what=what)
            )
        require_year(self.year)
        if self.tasacion is not None:
            require_pesos(self.tasacion, field="tasacion", code="invalid_tasacion", what="La tasación")
        if self.model_year is not None:
            require_int(
                self.model_year,
                field="model_year",
                code="invalid_model_year",
                minimum=MIN_MODEL_YEAR,
                maximum=self.year + 1,
                what="El año del modelo",
            )
        if self.new_vehicle is not None:
            require_pesos(
                self.new_vehicle.net_invoice_value,
                field="new_vehicle.net_invoice_value",
                code="invalid_net_invoice_value",
                what="El valor neto de la factura",
            )
            require_month(self.new_vehicle.month, field="new_vehicle.month")
        if self.payment_date is not None:
            require_date(self.payment_date, field="payment_date")
        if self.capacity_kg is not None:
            require_int(
                self.capacity_kg,
                field="capacity_kg",
                code="invalid_capacity",
                minimum=1,
                maximum=MAX_CAPACITY_KG,
                what="La capacidad de carga (kg)",
            )
        for back in self.back_years:
            if not isinstance(back, int) or isinstance(back, bool) or not MIN_BACK_YEAR <= back < self.year:
                raise InvalidInput(
                    f"Cada año adeudado debe ser anterior al año del permiso y desde {MIN_BACK_YEAR}.",
                    code="invalid_back_years",
                    field="back_years",
                )
        if len(set(self.back_years)) != len(self.back_years):
            raise InvalidInput("Hay años adeudados repetidos.", code="invalid_back_years", field="back_years")
        if self.back_years and self.payment_date is None:
            raise InvalidInput(
                "Para calcular los permisos adeudados de años anteriores indique la fecha de pago.",
                code="payment_date_required",
                field="payment_date",
            )
        if self.propulsion is not Propulsion.COMBUSTION and self.model_year is None:
            raise InvalidInput(
                "Para vehículos eléctricos o híbridos enchufables se requiere el año del modelo.",
                code="model_year_required",
                field="model_year",
            )

    @classmethod
    def parse(cls, body: object) -> PermitRequest:
        """A request from the JSON body of the simulate route (docs/contract.md), or InvalidInput per field."""
        data = require_mapping(body, field="body")
        known = {
            "vehicle_class",
            "tasacion",
            "year",
            "installment",
            "propulsion",
            "model_year",
            "new_vehicle",
            "payment_date",
            "capacity_kg",
            "back_years",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(f"Campo no reconocido: {unknown[0]}.", code="unknown_field", field=unknown[0])
        if "vehicle_class" not in data:
            raise InvalidInput(
                "Falta la clase de vehículo.", code="invalid_vehicle_class", field="vehicle_class"
            )
        if "year" not in data:
            raise InvalidInput("Falta el año del permiso.", code="invalid_year", field="year")
        new_vehicle = None
        if data.get("new_vehicle") is not None:
            raw = require_mapping(data["new_vehicle"], field="new_vehicle", code="invalid_new_vehicle")
            new_vehicle = NewVehicle(
                require_pesos(
                    raw.get("net_invoice_value"),
                    field="new_vehicle.net_invoice_value",
                    code="invalid_net_invoice_value",
                    what="El valor neto de la factura",
                ),
                require_month(raw.get("month"), field="new_vehicle.month"),
            )
        return cls(
            vehicle_class=require_enum(
                VehicleClass,
                data["vehicle_class"],
                field="vehicle_class",
                code="invalid_vehicle_class",
                what="La clase de vehículo",
            ),
            year=require_year(data["year"]),
            tasacion=None
            if data.get("tasacion") is None
            else require_pesos(
                data["tasacion"], field="tasacion", code="invalid_tasacion", what="La tasación"
            ),
            installment=require_enum(
                Installment,
                data.get("installment", "full"),
                field="installment",
                code="invalid_installment",
                what="La cuota",
            ),
            propulsion=require_enum(
                Propulsion,
                data.get("propulsion", "combustion"),
                field="propulsion",
                code="invalid_propulsion",
                what="El tipo de propulsión",
            ),
            model_year=None
            if data.get("model_year") is None
            else require_int(
                data["model_year"],
                field="model_year",
                code="invalid_model_year",
                minimum=MIN_MODEL_YEAR,
                maximum=MAX_YEAR + 1,
                what="El año del modelo",
            ),
            new_vehicle=new_vehicle,
            payment_date=None
            if data.get("payment_date") is None
            else require_date(data["payment_date"], field="payment_date"),
            capacity_kg=None
            if data.get("capacity_kg") is None
            else require_int(
                data["capacity_kg"],
                field="capacity_kg",
                code="invalid_capacity",
                minimum=1,
                maximum=MAX_CAPACITY_KG,
                what="La capacidad de carga (kg)",
            ),
            back_years=_back_years(data.get("back_years")),
        )

    def to_json(self) -> dict[str, object]:
        """The inputs as echoed in the breakdown."""
        return {
            "vehicle_class": self.vehicle_class.value,
            "year": self.year,
            "tasacion": self.tasacion,
            "installment": self.installment.value,
            "propulsion": self.propulsion.value,
            "model_year": self.model_year,
            "new_vehicle": None
            if self.new_vehicle is None
            else {"net_invoice_value": self.new_vehicle.net_invoice_value, "month": self.new_vehicle.month},
            "payment_date": None if self.payment_date is None else self.payment_date.isoformat(),
            "capacity_kg": self.capacity_kg,
            "back_years": list(self.back_years),
        }


@dataclass(frozen=True)
class PermitResult:
    """The amount to pay now, the three installment amounts, the split, and the breakdown.

    ``amounts`` is ``{"full", "first", "second"}`` before any late-payment surcharge; ``first`` and
    ``second`` are None when the permit cannot be split (class without a second installment,
    new vehicle), and ``second`` also when the February–June IPC is not loaded yet (then
    ``breakdown["installments"]["second_unavailable"]`` says why). ``estimated`` is True when
    ``amount`` used a projected UTM or IPC value, and ``estimated_amounts`` says the same of each
    of ``amounts``: an estimated amount may be shown but must not be charged.
    """

    amount: int
    installment: Installment
    amounts: dict[str, int | None]
    fcm: int
    municipal: int
    estimated: bool
    estimated_amounts: dict[str, bool]
    breakdown: dict[str, object]


@dataclass(frozen=True)
class DuplicateResult:
    """The fee for a duplicate permit and how it was obtained."""

    amount: int
    estimated: bool
    breakdown: dict[str, object]


class _Steps:
    """Collects the rounding steps and the lines a citizen reads."""

    def __init__(self) -> None:
        self.rounding: list[dict[str, object]] = []
        self.lines: list[dict[str, object]] = []

    def round(self, what: str, exact_value: Decimal) -> int:
        pesos = to_pesos(exact_value)
        self.rounding.append({"step": what, "exact": decimal_text(exact_value), "pesos": pesos})
        return pesos

    def line(self, label: str, amount: int) -> None:
        self.lines.append({"label": label, "amount": amount})


def compute_permit(request: PermitRequest, tables: ReferenceTables, rules: PermitRules) -> PermitResult:
    """The permit of ``request`` under ``rules`` with the UTM/IPC of ``tables`` (see module docstring).

    Raises InvalidInput for input the rule cannot use (missing tasación, capacity or model year)
    and RuleRefused for valid input the rules refuse (no UTM/IPC loaded for a month it needs, an
    installment the class or a new vehicle cannot take).
    """
    steps = _Steps()
    class_rule = rules.class_rule(request.vehicle_class)
    utm = tables.utm(YearMonth(request.year, 1), field="year")
    breakdown: dict[str, object] = {
        "inputs": request.to_json(),
        "utm": utm.to_json(),
        "class_rule": class_rule.to_json(),
        "rounding_rule": ROUNDING_RULE_TEXT,
    }
    estimated = utm.projected

    if class_rule.method is TariffMethod.SCALE:
        annual = _scale_tax(request, rules, utm, steps, breakdown)
    else:
        annual = _fixed_tax(request, class_rule, utm, steps, breakdown)

    full = annual
    full = _prorate_new_vehicle(request, full, steps, breakdown)
    full = _apply_ev_schedule(request, rules, full, steps, breakdown)
    breakdown["full"] = full

    first, second, ipc = _installments(request, class_rule, rules, tables, full, steps, breakdown)
    estimated_amounts = {
        "full": utm.projected,
        "first": utm.projected,
        "second": utm.projected or (ipc is not None and ipc.projected),
    }
    estimated = estimated_amounts[request.installment.value]
    amounts: dict[str, int | None] = {"full": full, "first": first, "second": second}
    selected = amounts[request.installment.value]
    if selected is None:
        raise RuleRefused(
            "Este permiso no puede pagarse en cuotas.", code="installments_not_available", field="installment"
        )
    if request.installment is not Installment.FULL:
        label = (
            "Primera cuota (50%)"
            if request.installment is Installment.FIRST
            else f"Segunda cuota (50%, reajustada {str(ipc.applied_percent).replace('.', ',')}% por IPC febrero–junio)"
            if ipc is not None
            else "Segunda cuota (50%, reajustada)"
        )
        steps.line(label, selected)

    late = _late(request, class_rule, rules, tables, selected, breakdown)
    if late is not None and late.projected:
        estimated = True
    total = selected + (late.total if late is not None else 0)
    if late is not None and late.late:
        steps.rounding.append(
            {
                "step": "reajuste art. 53",
                "exact": decimal_text(late.readjustment_exact),
                "pesos": late.readjustment,
            }
        )
        steps.rounding.append(
            {"step": "intereses art. 53", "exact": decimal_text(late.interest_exact), "pesos": late.interest}
        )
        steps.line("Reajuste IPC por pago atrasado (art. 53 Código Tributario)", late.readjustment)
        steps.line(late.interest_label(), late.interest)

    fcm = steps.round("participación Fondo Común Municipal", mul(total, rules.fcm_share))
    municipal = total - fcm
    steps.line("Total a pagar", total)
    breakdown.update(
        {
            "installment": request.installment.value,
            "amounts": dict(amounts),
            "amount_before_late_payment": selected,
            "total": total,
            "distribution": {
                "fcm_share": decimal_text(rules.fcm_share),
                "fcm": fcm,
                "municipal": municipal,
                "note": "FCM = total × participación, redondeado; municipal = total − FCM",
            },
            "rounding_steps": steps.rounding,
            "lines": steps.lines,
            "estimated": estimated,
            "estimated_amounts": dict(estimated_amounts),
        }
    )
    if estimated:
        breakdown["estimated_note"] = (
            "Monto estimado: usa valores de UTM o IPC proyectados que aún no han sido publicados."
        )
    return PermitResult(
        total, request.installment, amounts, fcm, municipal, estimated, estimated_amounts, breakdown
    )


def compute_duplicate_permit(year: int, tables: ReferenceTables, rules: PermitRules) -> DuplicateResult:
    """The duplicate-permit fee: ``rules.duplicate_utm`` (0,05) × UTM of January of ``year``, rounded."""
    require_year(year)
    utm = tables.utm(YearMonth(year, 1), field="year")
    exact_value = mul(rules.duplicate_utm, utm.value)
    amount = to_pesos(exact_value)
    return DuplicateResult(
        amount,
        utm.projected,
        {
            "utm": utm.to_json(),
            "utm_count": decimal_text(rules.duplicate_utm),
            "exact": decimal_text(exact_value),
            "amount": amount,
            "rounding_rule": ROUNDING_RULE_TEXT,
            "lines": [{"label": "Duplicado de permiso de circulación", "amount": amount}],
        },
    )


def _scale_tax(
    request: PermitRequest, rules: PermitRules, utm: UtmValue, steps: _Steps, breakdown: dict[str, object]
) -> int:
    if request.new_vehicle is not None:
        base_kind, base_value = "net_invoice_value", request.new_vehicle.net_invoice_value
    elif request.tasacion is not None:
        base_kind, base_value = "tasacion", request.tasacion
    else:
        raise InvalidInput("Falta la tasación del vehículo.", code="tasacion_required", field="tasacion")
    taxable = mul(base_value, rules.tasacion_percent, Decimal("0.01"))
    breakdown["base"] = {
        "kind": base_kind,
        "value": base_value,
        "tasacion_percent": decimal_text(rules.tasacion_percent),
        "tasacion_percent_reason": rules.tasacion_percent_reason,
        "taxable_base": decimal_text(taxable),
    }
    brackets: list[dict[str, object]] = []
    scale_total = Decimal(0)
    for bracket in rules.light_scale:
        lower = mul(bracket.lower_utm, utm.value)
        upper = None if bracket.upper_utm is None else mul(bracket.upper_utm, utm.value)
        part = max(Decimal(0), (taxable if upper is None else min(taxable, upper)) - lower)
        amount = mul(part, bracket.rate)
        scale_total += amount
        brackets.append(
            {
                "from_utm": decimal_text(bracket.lower_utm),
                "to_utm": None if bracket.upper_utm is None else decimal_text(bracket.upper_utm),
                "from_pesos": decimal_text(lower),
                "to_pesos": None if upper is None else decimal_text(upper),
                "rate": decimal_text(bracket.rate),
                "base": decimal_text(part),
                "amount": decimal_text(amount),
            }
        )
    minimum = mul(rules.minimum_utm, utm.value)
    minimum_applied = scale_total < minimum
    breakdown["scale"] = {
        "legal_basis": "DL 3063 art. 12: escala progresiva acumulativa sobre la tasación, en UTM de enero",
        "brackets": brackets,
        "total_exact": decimal_text(scale_total),
    }
    breakdown["minimum"] = {
        "utm": decimal_text(rules.minimum_utm),
        "pesos_exact": decimal_text(minimum),
        "applied": minimum_applied,
    }
    annual = steps.round("impuesto anual", minimum if minimum_applied else scale_total)
    breakdown["annual_tax"] = annual
    steps.line(
        "Impuesto anual (mínimo ½ UTM)" if minimum_applied else "Impuesto anual según tasación", annual
    )
    return annual


def _fixed_tax(
    request: PermitRequest, class_rule: ClassRule, utm: UtmValue, steps: _Steps, breakdown: dict[str, object]
) -> int:
    if class_rule.capacity_bands:
        if request.capacity_kg is None:
            raise InvalidInput(
                "Para esta clase de vehículo se requiere la capacidad de carga en kg.",
                code="capacity_required",
                field="capacity_kg",
            )
        band = next(
            b for b in class_rule.capacity_bands if b.up_to_kg is None or request.capacity_kg <= b.up_to_kg
        )
        utm_count = band.utm
        breakdown["capacity_band"] = {
            "capacity_kg": request.capacity_kg,
            "up_to_kg": band.up_to_kg,
            "utm": decimal_text(band.utm),
        }
    else:
        assert class_rule.fixed_utm is not None  # guaranteed by ClassRule construction
        utm_count = class_rule.fixed_utm
    exact_value = mul(utm_count, utm.value)
    breakdown["fixed"] = {
        "utm_count": decimal_text(utm_count),
        "exact": decimal_text(exact_value),
        "verified": class_rule.verified,
        "source": class_rule.source,
    }
    annual = steps.round("impuesto anual", exact_value)
    breakdown["annual_tax"] = annual
    steps.line(f"Impuesto anual ({decimal_text(utm_count).replace('.', ',')} UTM)", annual)
    return annual


def _prorate_new_vehicle(
    request: PermitRequest, amount: int, steps: _Steps, breakdown: dict[str, object]
) -> int:
    if request.new_vehicle is None:
        breakdown["new_vehicle"] = None
        return amount
    months = 13 - request.new_vehicle.month
    exact_value = div(mul(amount, months), 12)
    prorated = steps.round("proporcional vehículo nuevo", exact_value)
    breakdown["new_vehicle"] = {
        "purchase_month": request.new_vehicle.month,
        "months_charged": months,
        "factor": f"{months}/12",
        "rule": "meses que restan del año, contando el mes de compra: (13 − mes) / 12",
        "exact": decimal_text(exact_value),
        "amount": prorated,
    }
    steps.line(f"Proporcional vehículo nuevo ({months}/12)", prorated)
    return prorated


def _apply_ev_schedule(
    request: PermitRequest, rules: PermitRules, amount: int, steps: _Steps, breakdown: dict[str, object]
) -> int:
    if request.propulsion is Propulsion.COMBUSTION:
        breakdown["electric"] = None
        return amount
    assert request.model_year is not None  # checked by PermitRequest
    if request.model_year < rules.ev_min_model_year:
        breakdown["electric"] = {
            "applies": False,
            "legal_basis": EV_LAW,
            "reason": f"año de fabricación anterior a {rules.ev_min_model_year} (Ley 21.505, art. 2° transitorio)",
        }
        return amount
    stage = rules.ev_stage(request.year)
    if stage is None:
        first_year = min(s.first_year for s in rules.ev_schedule)
        reason = (
            f"la rebaja rige para los permisos desde {first_year}"
            if request.year < first_year
            else "el período de rebaja de la ley terminó: paga el permiso completo"
        )
        breakdown["electric"] = {"applies": False, "legal_basis": EV_LAW, "reason": reason,
                                 "permit_year": request.year}
        return amount
    percent = stage.percent
    exact_value = mul(amount, percent, Decimal("0.01"))
    result = steps.round("rebaja vehículo eléctrico", exact_value)
    breakdown["electric"] = {
        "applies": True,
        "legal_basis": EV_LAW,
        "propulsion": request.propulsion.value,
        "model_year": request.model_year,
        "permit_year": request.year,
        "law_years": f"{stage.first_year}–{stage.last_year}",
        "year_rule": (
            "años calendario contados desde el 01-02-2023 para todo vehículo elegible (fabricado desde "
            f"{rules.ev_min_model_year}), cualquiera sea su año de fabricación"
        ),
        "percent_paid": decimal_text(percent),
        "base": amount,
        "exact": decimal_text(exact_value),
        "amount": result,
    }
    label = (
        f"Exento (vehículo eléctrico, permisos {stage.first_year}–{stage.last_year})"
        if percent == 0
        else f"Vehículo eléctrico: paga {decimal_text(percent)}% (permisos {stage.first_year}–{stage.last_year})"
    )
    steps.line(label, result)
    return result


def _installments(
    request: PermitRequest,
    class_rule: ClassRule,
    rules: PermitRules,
    tables: ReferenceTables,
    full: int,
    steps: _Steps,
    breakdown: dict[str, object],
) -> tuple[int | None, int | None, IpcAdjustment | None]:
    if class_rule.second_installment_due is None or request.new_vehicle is not None:
        reason = (
            "el primer permiso de un vehículo nuevo se paga completo"
            if request.new_vehicle is not None
            else "esta clase de vehículo no tiene segunda cuota configurada"
        )
        breakdown["installments"] = {"available": False, "reason": reason}
        return None, None, None
    first, second_base = split_in_halves(full)
    first_month, last_month = rules.second_installment_ipc_months
    info: dict[str, object] = {
        "available": True,
        "split_rule": "primera = total − total // 2 (el peso impar va a la primera); segunda = total // 2",
        "first": first,
        "first_due": class_rule.deadline.in_year(request.year).isoformat(),
        "second_before_readjustment": second_base,
        "second_due": class_rule.second_installment_due.in_year(request.year).isoformat(),
    }
    breakdown["installments"] = info
    try:
        ipc = tables.ipc_accumulated(
            YearMonth(request.year, first_month),
            YearMonth(request.year, last_month),
            floor_at_zero=True,
            field="installment",
        )
    except RuleRefused as missing:
        if request.installment is Installment.SECOND:
            raise
        info["second"] = None
        info["second_unavailable"] = missing.message
        return first, None, None
    exact_value = mul(second_base, ipc.factor)
    second = steps.round("segunda cuota reajustada por IPC", exact_value)
    info["second_ipc"] = ipc.to_json()
    info["second_readjustment_basis"] = SECOND_INSTALLMENT_LAW
    info["second_readjustment_percent"] = str(ipc.applied_percent)
    info["second_exact"] = decimal_text(exact_value)
    info["second"] = second
    return first, second, ipc


def _late(
    request: PermitRequest,
    class_rule: ClassRule,
    rules: PermitRules,
    tables: ReferenceTables,
    amount: int,
    breakdown: dict[str, object],
) -> LatePayment | None:
    if request.payment_date is None:
        breakdown["late_payment"] = None
        return None
    if request.new_vehicle is not None:
        breakdown["late_payment"] = {
            "applies": False,
            "reason": "el primer permiso de un vehículo nuevo vence con su inscripción",
        }
        return None
    if request.installment is Installment.SECOND:
        assert class_rule.second_installment_due is not None  # an unavailable second was refused before
        due = class_rule.second_installment_due.in_year(request.year)
    else:
        due = class_rule.deadline.in_year(request.year)
    late = late_payment(
        amount, due, request.payment_date, tables, monthly_rate=rules.late_interest_monthly_rate
    )
    if not late.late:
        breakdown["late_payment"] = {
            "applies": False,
            "due_date": due.isoformat(),
            "reason": f"pagado dentro del plazo (vencía el {format_date(due)})",
        }
        return late
    breakdown["late_payment"] = {"applies": True, **late.to_json(amount)}
    return late


def _back_years(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_BACK_YEARS:
        raise InvalidInput(
            f"back_years debe ser una lista de hasta {MAX_BACK_YEARS} años.", code="invalid_back_years",
            field="back_years",
        )
    return tuple(
        require_int(y, field="back_years", code="invalid_back_years", minimum=MIN_BACK_YEAR, maximum=MAX_YEAR,
                    what="El año adeudado")
        for y in value
    )


def compute_back_years(request: PermitRequest, tables: ReferenceTables, rules: PermitRules) -> dict[str, object]:
    """The earlier permits a plate skipped, each as due on its own deadline and paid on ``payment_date``
    with art. 53 readjustment and interest (DL 3063: the new permit is granted only once they are paid).
    """
    owed: list[dict[str, object]] = []
    estimated = False
    for year in sorted(request.back_years):
        back = replace(request, year=year, installment=Installment.FULL, new_vehicle=None, back_years=())
        result = compute_permit(back, tables, rules)
        estimated = estimated or result.estimated
        owed.append({"year": year, "amount": result.amount, "permit": result.amounts["full"],
                     "late_payment": result.breakdown.get("late_payment"), "lines": result.breakdown["lines"]})
    return {
        "rule": "los permisos de años anteriores no pagados se pagan, reajustados y con intereses (art. 53), "
                "antes del permiso del año",
        "years": owed,
        "total": sum(int(str(o["amount"])) for o in owed),
        "estimated": estimated,
    }


def permit_response_body(result: PermitResult) -> dict[str, object]:
    """The simulate route's response body: ``{"amount", "amounts", "estimated", "breakdown"}``."""
    return {
        "amount": result.amount,
        "amounts": dict(result.amounts),
        "estimated": result.estimated,
        "estimated_amounts": dict(result.estimated_amounts),
        "breakdown": result.breakdown,
    }
