"""Permit prerequisites: what the online checks answered, and whether a permit may be paid.

A permit may be paid only when four checks are ``ok``: SOAP insurance (AACH), revisión técnica
and gas emissions (Ministerio de Transportes), and no unpaid fines (Registro Civil, RMNP). The
adapters answer with the records below; a check whose service could not be asked is
:class:`Unavailable`. The rules here turn those into a :class:`CheckOutcome` each, with a
citizen-facing reason in Spanish and a JSON ``detail`` that keeps the source, the reference the
service returned and the time of the answer, so an official can see later why a permit was (or
was not) allowed. No I/O here.

THE PERMIT PERIOD. A permit for year Y covers 1 April Y to 31 March Y+1 (light vehicles pay from
1 February to 31 March; the permit they get is the one checked by inspectors from 1 April on).
:meth:`PermitPeriod.for_year` builds it; a caller with another definition (a class with another
deadline, a first permit that starts on the purchase date) passes its own :class:`PermitPeriod`.

THE RULES, given the period and the day of the check (``as_of``):

- insurance: the policies on record must cover, without a gap, every day from
  ``max(as_of, period.start)`` through ``period.end``. (Paying in February with this year's
  policy plus next year's already bought is fine; a policy that ends 15-01-2028 is not.)
- inspection and emissions: the latest result must be *aprobada* (or *exenta*, e.g. gases of an
  electric car) and in force on ``as_of``, the day the permit is granted. They are renewed on
  their own calendar (by plate digit, every 6 or 12 months) and enforced on the road, so they
  need not last the whole period.
- fines: no unpaid fine in the RMNP.

``unavailable`` never becomes ``ok``: a permit is payable only when all four are ``ok``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.permit_rules import VehicleClass
from chalicelib.domain.permits import Propulsion

JsonDict = dict[str, Any]

SOURCE_AACH: Final = "aach"
SOURCE_MTT: Final = "mtt"
SOURCE_SRCEI: Final = "srcei"

SOURCE_NAMES: Final[Mapping[str, str]] = {
    SOURCE_AACH: "Asociación de Aseguradores de Chile",
    SOURCE_MTT: "Ministerio de Transportes y Telecomunicaciones",
    SOURCE_SRCEI: "Servicio de Registro Civil e Identificación",
}
"""Who answered each check, as shown to people."""


# -- what the services answer ----------------------------------------------------------------


@dataclass(frozen=True)
class InsurancePolicy:
    """One SOAP policy of the plate."""

    insurer: str
    policy_number: str
    valid_from: date
    valid_to: date

    def __post_init__(self) -> None:
        if self.valid_to < self.valid_from:
            raise ValueError("policy ends before it starts")

    def to_json(self) -> JsonDict:
        return {"insurer": self.insurer, "policy_number": self.policy_number,
                "valid_from": self.valid_from.isoformat(), "valid_to": self.valid_to.isoformat()}


@dataclass(frozen=True)
class InsuranceRecord:
    """AACH's answer for a plate: its policies (none when it has no SOAP on record)."""

    plate: str
    reference: str
    checked_at: datetime
    policies: tuple[InsurancePolicy, ...] = ()
    source: str = SOURCE_AACH


class InspectionResult(StrEnum):
    """The result of a revisión técnica or a gas emissions check."""

    APPROVED = "aprobada"
    REJECTED = "rechazada"
    EXEMPT = "exenta"


@dataclass(frozen=True)
class InspectionControl:
    """One control (revisión técnica or gases): result, plant, date, and until when it is valid.

    An approved or exempt control always has ``valid_until``; a rejected one has none.
    """

    result: InspectionResult
    plant_code: str
    plant: str
    inspected_on: date
    valid_until: date | None

    def __post_init__(self) -> None:
        if self.result is not InspectionResult.REJECTED and self.valid_until is None:
            raise ValueError("an approved or exempt control must say until when it is valid")

    def to_json(self) -> JsonDict:
        return {"result": self.result.value, "plant_code": self.plant_code, "plant": self.plant,
                "inspected_on": self.inspected_on.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}


@dataclass(frozen=True)
class InspectionRecord:
    """MTT's answer for a plate: the latest revisión técnica and gas check (None if none)."""

    plate: str
    reference: str
    checked_at: datetime
    inspection: InspectionControl | None
    emissions: InspectionControl | None
    source: str = SOURCE_MTT


@dataclass(frozen=True)
class Fine:
    """One unpaid traffic fine in the RMNP."""

    case_number: str
    court: str
    issued_on: date
    amount: int

    def to_json(self) -> JsonDict:
        return {"case_number": self.case_number, "court": self.court,
                "date": self.issued_on.isoformat(), "amount": self.amount}


@dataclass(frozen=True)
class FinesRecord:
    """Registro Civil's answer from the RMNP: the plate's unpaid fines (empty: none)."""

    plate: str
    reference: str
    checked_at: datetime
    fines: tuple[Fine, ...] = ()
    source: str = SOURCE_SRCEI

    @property
    def total(self) -> int:
        return sum(fine.amount for fine in self.fines)


@dataclass(frozen=True)
class VehicleRecord:
    """Registro Civil's answer from the RVM: the vehicle, its owner and its SII tasación.

    ``registry_class`` and ``fuel`` are the registry's own words; ``vehicle_class`` and
    ``propulsion`` are what the permit rules use (``vehicle_class`` is None when the registry
    class has no permit class). ``tasacion`` is None for a model not yet in the SII list: use
    ``invoice_net_value`` (a new car's first permit) or let an official set it.
    """

    plate: str
    reference: str
    checked_at: datetime
    registry_class: str
    vehicle_class: VehicleClass | None
    make: str
    model: str
    model_year: int
    fuel: str
    propulsion: Propulsion
    owner_rut: str
    owner_name: str
    first_registration: date
    tasacion_code: str | None = None
    tasacion_year: int | None = None
    tasacion: int | None = None
    capacity_kg: int | None = None
    invoice_net_value: int | None = None
    source: str = SOURCE_SRCEI

    def is_first_permit(self, permit_year: int) -> bool:
        """True when the vehicle was first registered in the permit year (a new car)."""
        return self.first_registration.year == permit_year

    def to_json(self) -> JsonDict:
        """Flat JSON: the demo vehicle table's fields (plate, vehicle_class, make, model,
        model_year, propulsion, tasacion, owner_rut, owner_name) plus the registry's extras and
        the evidence (source, reference, checked_at). The owner is unmasked: mask it to show it."""
        return {
            "plate": self.plate,
            "vehicle_class": self.vehicle_class.value if self.vehicle_class else None,
            "make": self.make, "model": self.model, "model_year": self.model_year,
            "propulsion": self.propulsion.value, "tasacion": self.tasacion,
            "owner_rut": self.owner_rut, "owner_name": self.owner_name,
            "registry_class": self.registry_class, "fuel": self.fuel,
            "tasacion_code": self.tasacion_code, "tasacion_year": self.tasacion_year,
            "capacity_kg": self.capacity_kg, "first_registration": self.first_registration.isoformat(),
            "invoice_net_value": self.invoice_net_value,
            "source": self.source, "reference": self.reference, "checked_at": self.checked_at.isoformat(),
        }


@dataclass(frozen=True)
class Unavailable:
    """A service that could not be asked (down, slow, faulting, or answering nonsense)."""

    source: str
    code: str
    checked_at: datetime
    retry_after: int = 30


# -- outcomes --------------------------------------------------------------------------------


class CheckName(StrEnum):
    """The four checks of a permit, in the order they are shown."""

    INSURANCE = "insurance"
    INSPECTION = "inspection"
    EMISSIONS = "emissions"
    FINES = "fines"


class CheckStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class CheckOutcome:
    """One check's verdict: status, a stable code, the reason in Spanish, and the evidence.

    ``detail`` is JSON-serializable and always holds ``source``, ``reference`` (None when the
    service did not answer) and ``checked_at`` (ISO 8601 with offset).
    """

    name: CheckName
    status: CheckStatus
    code: str
    reason: str
    checked_at: datetime
    detail: JsonDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is CheckStatus.OK

    def to_json(self) -> JsonDict:
        return {"status": self.status.value, "code": self.code, "reason": self.reason,
                "checked_at": self.checked_at.isoformat(), "detail": self.detail}

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> CheckOutcome:
        """The outcome as recorded by :meth:`to_json` (e.g. on a quote, read back at payment)."""
        return cls(name=CheckName(name), status=CheckStatus(data["status"]), code=str(data["code"]),
                   reason=str(data["reason"]), checked_at=_aware(datetime.fromisoformat(data["checked_at"])),
                   detail=dict(data.get("detail") or {}))


@dataclass(frozen=True)
class PrerequisiteChecks:
    """The four outcomes of one plate for one permit period."""

    insurance: CheckOutcome
    inspection: CheckOutcome
    emissions: CheckOutcome
    fines: CheckOutcome

    @property
    def outcomes(self) -> tuple[CheckOutcome, ...]:
        return (self.insurance, self.inspection, self.emissions, self.fines)

    @property
    def payable(self) -> bool:
        """True only when every check is ``ok``."""
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def unavailable(self) -> tuple[CheckName, ...]:
        return tuple(o.name for o in self.outcomes if o.status is CheckStatus.UNAVAILABLE)

    @property
    def reasons(self) -> list[str]:
        """Why it is not payable (empty when it is), in the order the checks are shown."""
        return [o.reason for o in self.outcomes if not o.ok]

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before asking again when some check is unavailable, else None."""
        waits = [int(o.detail.get("retry_after", 30)) for o in self.outcomes
                 if o.status is CheckStatus.UNAVAILABLE]
        return max(waits) if waits else None

    def to_json(self) -> JsonDict:
        """``{"checks": {name: outcome}, "payable": bool, "reasons": [...]}`` (the public contract's quote)."""
        return {"checks": {o.name.value: o.to_json() for o in self.outcomes},
                "payable": self.payable, "reasons": self.reasons}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PrerequisiteChecks:
        """Read back what :meth:`to_json` recorded (``checks`` or the whole body)."""
        checks = data.get("checks", data)
        outcomes = {name.value: CheckOutcome.from_json(name.value, checks[name.value]) for name in CheckName}
        return cls(**outcomes)


CLASS_DEADLINES: Final[Mapping[VehicleClass, tuple[int, int]]] = {
    VehicleClass.TAXI: (5, 31),
    VehicleClass.BUS: (5, 31),
    VehicleClass.TRUCK: (9, 30),
    VehicleClass.TRACTOR_TRUCK: (9, 30),
    VehicleClass.TRAILER_HEAVY: (9, 30),
    VehicleClass.TRACTOR: (9, 30),
    VehicleClass.MACHINERY: (9, 30),
    VehicleClass.MOPED: (9, 30),
}
"""Permit deadline (month, day) of the classes not due on 31 March: the end of their SOAP coverage."""


@dataclass(frozen=True)
class PermitPeriod:
    """The days a permit covers (see the module docstring)."""

    year: int
    start: date
    end: date

    @classmethod
    def for_year(cls, year: int) -> PermitPeriod:
        """1 April ``year`` to 31 March ``year + 1``."""
        return cls(year=year, start=date(year, 4, 1), end=date(year + 1, 3, 31))

    @classmethod
    def for_class(cls, year: int, vehicle_class: VehicleClass | None) -> PermitPeriod:
        """The period of the class's permit: from the day after its deadline in ``year`` through its
        deadline in ``year + 1`` — taxis and buses 1 June–31 May, cargo vehicles, tractors,
        machinery, heavy trailers and mopeds 1 October–30 September, the rest 1 April–31 March
        (deadlines of DL 3063 as seeded in ``reference_data.PERMIT_RULES``)."""
        deadline = CLASS_DEADLINES.get(vehicle_class, (3, 31)) if vehicle_class is not None else (3, 31)
        end = date(year + 1, *deadline)
        return cls(year=year, start=date(year, *deadline) + timedelta(days=1), end=end)

    def to_json(self) -> JsonDict:
        return {"year": self.year, "start": self.start.isoformat(), "end": self.end.isoformat()}


# -- the rules -------------------------------------------------------------------------------


def evaluate_prerequisites(
    insurance: InsuranceRecord | Unavailable,
    inspection: InspectionRecord | Unavailable,
    fines: FinesRecord | Unavailable,
    *,
    period: PermitPeriod,
    as_of: date,
) -> PrerequisiteChecks:
    """The four outcomes for a plate, from what each service answered (or could not)."""
    if isinstance(inspection, Unavailable):
        inspection_outcome = _unavailable(CheckName.INSPECTION, inspection)
        emissions_outcome = _unavailable(CheckName.EMISSIONS, inspection)
    else:
        inspection_outcome = check_inspection(inspection, as_of=as_of)
        emissions_outcome = check_emissions(inspection, as_of=as_of)
    return PrerequisiteChecks(
        insurance=(_unavailable(CheckName.INSURANCE, insurance) if isinstance(insurance, Unavailable)
                   else check_insurance(insurance, period=period, as_of=as_of)),
        inspection=inspection_outcome,
        emissions=emissions_outcome,
        fines=_unavailable(CheckName.FINES, fines) if isinstance(fines, Unavailable) else check_fines(fines),
    )


def check_insurance(record: InsuranceRecord, *, period: PermitPeriod, as_of: date) -> CheckOutcome:
    """SOAP in force without a gap from ``max(as_of, period.start)`` through ``period.end``."""
    need_from = max(as_of, period.start)
    detail = _detail(record) | {
        "period": period.to_json(), "required_from": need_from.isoformat(),
        "policies": [p.to_json() for p in record.policies],
    }

    def outcome(status: CheckStatus, code: str, reason: str) -> CheckOutcome:
        return CheckOutcome(CheckName.INSURANCE, status, code, reason, record.checked_at, detail)

    if not record.policies:
        return outcome(CheckStatus.FAILED, "insurance_not_found",
                       "No se encontró un SOAP para esta patente en la Asociación de Aseguradores; "
                       "contrate el SOAP antes de pagar el permiso.")
    covered_until = _covered_until(record.policies, need_from)
    if covered_until is None:
        ended = [p for p in record.policies if p.valid_to < need_from]
        later = sorted((p for p in record.policies if p.valid_from > need_from), key=lambda p: p.valid_from)
        if later:
            return outcome(CheckStatus.FAILED, "insurance_not_yet_in_force",
                           f"El SOAP rige desde el {format_date(later[0].valid_from)}; debe estar vigente "
                           f"desde el {format_date(need_from)}.")
        last_end = max(p.valid_to for p in ended)
        if last_end < as_of:
            return outcome(CheckStatus.FAILED, "insurance_expired",
                           f"El SOAP venció el {format_date(last_end)}; contrate un SOAP vigente para el "
                           f"período del permiso ({format_date(period.start)} al {format_date(period.end)}).")
        return outcome(CheckStatus.FAILED, "insurance_ends_before_period",
                       f"El SOAP vence el {format_date(last_end)}, antes del inicio del período del "
                       f"permiso ({format_date(period.start)}); contrate el SOAP del nuevo período.")
    detail["covered_until"] = covered_until.isoformat()
    if covered_until < period.end:
        return outcome(CheckStatus.FAILED, "insurance_ends_within_period",
                       f"El SOAP vence el {format_date(covered_until)}, antes del fin del período del "
                       f"permiso ({format_date(period.end)}).")
    insurers = ", ".join(dict.fromkeys(p.insurer for p in record.policies if p.valid_to >= need_from))
    return outcome(CheckStatus.OK, "insurance_ok",
                   f"SOAP vigente hasta el {format_date(covered_until)} ({insurers}).")


def _covered_until(policies: Sequence[InsurancePolicy], need_from: date) -> date | None:
    """The last day of unbroken cover starting at ``need_from`` (None if that day is not covered)."""
    cursor = need_from
    covered: date | None = None
    for policy in sorted(policies, key=lambda p: p.valid_from):
        if policy.valid_from <= cursor <= policy.valid_to:
            covered = policy.valid_to
            cursor = policy.valid_to + timedelta(days=1)
    return covered


def check_inspection(record: InspectionRecord, *, as_of: date) -> CheckOutcome:
    """Revisión técnica approved (or exempt) and in force on ``as_of``."""
    return _check_control(CheckName.INSPECTION, record, record.inspection, as_of=as_of)


def check_emissions(record: InspectionRecord, *, as_of: date) -> CheckOutcome:
    """Gas emissions check approved (or exempt) and in force on ``as_of``."""
    return _check_control(CheckName.EMISSIONS, record, record.emissions, as_of=as_of)


@dataclass(frozen=True)
class _Words:
    """How a control is named in Spanish (the two controls differ in gender)."""

    code: str
    subject: str
    title: str
    noun: str
    approved: str
    rejected: str
    it: str


_CONTROL_WORDS: Final = {
    CheckName.INSPECTION: _Words(
        code="inspection", subject="La revisión técnica", title="Revisión técnica", noun="revisión técnica",
        approved="aprobada", rejected="rechazada", it="la"),
    CheckName.EMISSIONS: _Words(
        code="emissions", subject="El control de emisiones de gases", title="Control de emisiones de gases",
        noun="control de emisiones de gases", approved="aprobado", rejected="rechazado", it="lo"),
}


def _check_control(name: CheckName, record: InspectionRecord, control: InspectionControl | None, *,
                   as_of: date) -> CheckOutcome:
    words = _CONTROL_WORDS[name]
    detail = _detail(record) | {"control": control.to_json() if control else None,
                                "required_on": as_of.isoformat()}

    def outcome(status: CheckStatus, code: str, reason: str) -> CheckOutcome:
        return CheckOutcome(name, status, f"{words.code}_{code}", reason, record.checked_at, detail)

    if control is None:
        return outcome(CheckStatus.FAILED, "not_found",
                       f"No hay registro de {words.noun} para esta patente en el Ministerio de Transportes.")
    if control.result is InspectionResult.REJECTED:
        return outcome(CheckStatus.FAILED, "rejected",
                       f"{words.subject} fue {words.rejected} el {format_date(control.inspected_on)} en la "
                       f"planta {control.plant}; debe aprobar{words.it} antes de pagar el permiso.")
    if control.valid_until is None:  # excluded by InspectionControl; kept for a total function
        return outcome(CheckStatus.FAILED, "no_validity",
                       f"{words.subject} no informa fecha de vigencia; consulte en una planta de revisión.")
    if control.valid_until < as_of:
        return outcome(CheckStatus.FAILED, "expired",
                       f"{words.subject} venció el {format_date(control.valid_until)}; "
                       f"debe renovar{words.it} antes de pagar el permiso.")
    if control.result is InspectionResult.EXEMPT:
        return outcome(CheckStatus.OK, "exempt",
                       f"Vehículo exento de {words.noun} hasta el {format_date(control.valid_until)}, "
                       "según el Ministerio de Transportes.")
    return outcome(CheckStatus.OK, "ok",
                   f"{words.title} {words.approved}, vigente hasta el {format_date(control.valid_until)} "
                   f"(planta {control.plant}).")


def check_fines(record: FinesRecord) -> CheckOutcome:
    """No unpaid fine in the Registro de Multas de Tránsito No Pagadas."""
    detail = _detail(record) | {"fines": [f.to_json() for f in record.fines], "total": record.total}
    if not record.fines:
        return CheckOutcome(CheckName.FINES, CheckStatus.OK, "fines_none",
                            "Sin multas de tránsito impagas en el Registro Civil.", record.checked_at, detail)
    listed = "; ".join(f"{f.court}, {format_date(f.issued_on)}, {format_clp(f.amount)}"
                       for f in sorted(record.fines, key=lambda f: f.issued_on))
    count = len(record.fines)
    what = "1 multa de tránsito impaga" if count == 1 else f"{count} multas de tránsito impagas"
    return CheckOutcome(
        CheckName.FINES, CheckStatus.FAILED, "fines_unpaid",
        f"Registra {what} en el Registro de Multas No Pagadas por un total de {format_clp(record.total)} "
        f"({listed}); debe pagarlas en el juzgado de policía local antes de pagar el permiso.",
        record.checked_at, detail)


_UNAVAILABLE_REASONS: Final = {
    CheckName.INSURANCE: "No fue posible consultar el SOAP en la Asociación de Aseguradores",
    CheckName.INSPECTION: "No fue posible consultar la revisión técnica en el Ministerio de Transportes",
    CheckName.EMISSIONS: "No fue posible consultar el control de emisiones en el Ministerio de Transportes",
    CheckName.FINES: "No fue posible consultar las multas impagas en el Registro Civil",
}


def _unavailable(name: CheckName, missing: Unavailable) -> CheckOutcome:
    return CheckOutcome(
        name, CheckStatus.UNAVAILABLE, f"{name.value}_unavailable",
        f"{_UNAVAILABLE_REASONS[name]}; intente nuevamente en unos minutos.",
        missing.checked_at,
        {"source": missing.source, "source_name": SOURCE_NAMES.get(missing.source, missing.source),
         "reference": None, "checked_at": missing.checked_at.isoformat(), "error": missing.code,
         "retry_after": missing.retry_after},
    )


def _detail(record: InsuranceRecord | InspectionRecord | FinesRecord) -> JsonDict:
    return {"source": record.source, "source_name": SOURCE_NAMES.get(record.source, record.source),
            "reference": record.reference, "checked_at": record.checked_at.isoformat()}


# -- freshness -------------------------------------------------------------------------------


def stale_checks(checks: PrerequisiteChecks, *, now: datetime, max_age: timedelta) -> tuple[CheckName, ...]:
    """The checks that must be asked again before a payment relies on them.

    A check is stale when it is not ``ok`` (a failure may have been fixed, an unavailable
    service may be back), when it is older than ``max_age``, or when its time lies in the future
    (a clock that cannot be trusted).
    """
    now = _aware(now)
    stale = []
    for outcome in checks.outcomes:
        age = now - _aware(outcome.checked_at)
        if not outcome.ok or age > max_age or age < timedelta(0):
            stale.append(outcome.name)
    return tuple(stale)


def needs_recheck(checks: PrerequisiteChecks, *, now: datetime, max_age: timedelta) -> bool:
    """True unless every recorded check is ``ok`` and younger than ``max_age``."""
    return bool(stale_checks(checks, now=now, max_age=max_age))


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC (recorded times always carry their offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
