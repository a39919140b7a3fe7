"""Checks a plate's permit prerequisites online: the port the quote and payment services call.

:class:`PrerequisiteChecker` asks the three services at once (insurance, inspections, and the
Registro Civil's fines and vehicle data), bounded by one overall timeout, and applies the rules
of ``chalicelib.domain.prerequisites``. A service that fails, is slow, or whose breaker is open
makes its checks ``unavailable`` — never ``ok`` — and the rest of the report still stands.

    checker = PrerequisiteChecker(insurance, inspection, registry, timeout_s=8)
    report = checker.check("BBBB10", 2027)
    report.checks.payable, report.checks.reasons, report.require_vehicle().tasacion

:class:`FakePrerequisiteChecker` implements the same port in memory for service tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

from chalicelib.domain.chile_time import SANTIAGO
from chalicelib.domain.errors import DependencyUnavailable, NotFound, SemError
from chalicelib.domain.plates import normalize_plate
from chalicelib.domain.prerequisites import (
    SOURCE_AACH,
    SOURCE_MTT,
    SOURCE_SRCEI,
    FinesRecord,
    InspectionRecord,
    InsuranceRecord,
    PermitPeriod,
    PrerequisiteChecks,
    Unavailable,
    VehicleRecord,
    evaluate_prerequisites,
)
from chalicelib.observability import logger

T = TypeVar("T")


class InsurancePort(Protocol):
    def insurance(self, plate: str) -> InsuranceRecord: ...


class InspectionPort(Protocol):
    def inspection(self, plate: str) -> InspectionRecord: ...


class RegistryPort(Protocol):
    def fines(self, plate: str) -> FinesRecord: ...

    def vehicle(self, plate: str) -> VehicleRecord:
        """The vehicle; raises NotFound(vehicle_not_found) when the plate is not registered."""
        ...


@dataclass(frozen=True)
class PrerequisiteReport:
    """The four checks of a plate for a permit period, and the vehicle as the registry has it.

    ``vehicle`` is None when it was not asked (``with_vehicle=False``) or could not be had;
    then ``vehicle_error`` says why: ``NotFound`` (the plate is not registered: HTTP 404) or
    ``DependencyUnavailable`` (HTTP 503 with ``retry_after``).
    """

    plate: str
    period: PermitPeriod
    as_of: date
    checks: PrerequisiteChecks
    vehicle: VehicleRecord | None = None
    vehicle_error: SemError | None = None

    @property
    def payable(self) -> bool:
        """All four checks ``ok`` (a quote also needs the vehicle: see ``require_vehicle``)."""
        return self.checks.payable

    def require_vehicle(self) -> VehicleRecord:
        """The vehicle, or the error that kept it from us."""
        if self.vehicle is not None:
            return self.vehicle
        raise self.vehicle_error or DependencyUnavailable(
            "No fue posible consultar los datos del vehículo; intente nuevamente.", code="srcei_unavailable")

    def to_json(self) -> dict[str, Any]:
        """What to record on the quote or payment: period, checks, payable, reasons (owner not
        included: the caller shows or masks the vehicle's data as it must)."""
        return {"plate": self.plate, "period": self.period.to_json(), "as_of": self.as_of.isoformat(),
                **self.checks.to_json()}


class PrerequisitePort(Protocol):
    """What the quote and payment services need."""

    def check(self, plate: str, permit_year: int, *, period: PermitPeriod | None = None,
              as_of: date | None = None, with_vehicle: bool = True) -> PrerequisiteReport: ...


class PrerequisiteChecker:
    """Runs the online checks of a plate in parallel, within ``timeout_s`` overall."""

    def __init__(
        self,
        insurance: InsurancePort,
        inspection: InspectionPort,
        registry: RegistryPort,
        *,
        timeout_s: float = 8.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._insurance = insurance
        self._inspection = inspection
        self._registry = registry
        self.timeout_s = timeout_s
        self._now = now

    def check(self, plate: str, permit_year: int, *, period: PermitPeriod | None = None,
              as_of: date | None = None, with_vehicle: bool = True) -> PrerequisiteReport:
        """The report for ``plate`` and the permit of ``permit_year``.

        ``period`` defaults to ``PermitPeriod.for_year(permit_year)``; ``as_of`` to today in
        Chile. Raises InvalidInput for a malformed plate; never raises for a service's failure.
        """
        value = normalize_plate(plate)
        as_of = as_of or chile_today(self._now())
        tasks: dict[str, Callable[[], object]] = {
            "insurance": lambda: self._insurance.insurance(value),
            "inspection": lambda: self._inspection.inspection(value),
            "fines": lambda: self._registry.fines(value),
        }
        if with_vehicle:
            tasks["vehicle"] = lambda: self._registry.vehicle(value)
        pool = ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="prerequisites")
        try:
            futures = {name: pool.submit(task) for name, task in tasks.items()}
            wait(futures.values(), timeout=self.timeout_s)
        finally:
            # Stragglers end on their own transport timeouts; nobody waits for them here.
            pool.shutdown(wait=False, cancel_futures=True)

        insurance = self._result(futures["insurance"], SOURCE_AACH, InsuranceRecord)
        inspection = self._result(futures["inspection"], SOURCE_MTT, InspectionRecord)
        fines = self._result(futures["fines"], SOURCE_SRCEI, FinesRecord)
        vehicle: VehicleRecord | None = None
        vehicle_error: SemError | None = None
        if with_vehicle:
            outcome = self._result(futures["vehicle"], SOURCE_SRCEI, VehicleRecord)
            if isinstance(outcome, VehicleRecord):
                vehicle = outcome
            else:
                vehicle_error = self._vehicle_error(futures["vehicle"], outcome)
        # The SOAP must cover the class's own permit period (taxis and buses to 31 May, cargo to 30 September).
        period = period or PermitPeriod.for_class(permit_year, vehicle.vehicle_class if vehicle else None)
        return PrerequisiteReport(
            plate=value, period=period, as_of=as_of,
            checks=evaluate_prerequisites(insurance, inspection, fines, period=period, as_of=as_of),
            vehicle=vehicle, vehicle_error=vehicle_error,
        )

    def _result(self, future: Future[object], source: str, kind: type[T]) -> T | Unavailable:
        if not future.done():
            logger.warning("prerequisite service timed out", extra={"source": source})
            return Unavailable(source, f"{source}_timeout", self._now())
        exc = future.exception()
        if exc is None:
            value = future.result()
            if isinstance(value, kind):
                return value
            logger.error("prerequisite adapter returned %s", type(value).__name__, extra={"source": source})
            return Unavailable(source, f"{source}_bad_response", self._now())
        if isinstance(exc, DependencyUnavailable):
            logger.warning("prerequisite service unavailable: %s", exc.code, extra={"source": source})
            return Unavailable(source, exc.code, self._now(), retry_after=exc.retry_after)
        if not isinstance(exc, NotFound):
            logger.error("prerequisite check failed unexpectedly", exc_info=exc, extra={"source": source})
        return Unavailable(source, f"{source}_error", self._now())

    @staticmethod
    def _vehicle_error(future: Future[object], missing: Unavailable) -> SemError:
        exc = future.exception() if future.done() else None
        if isinstance(exc, NotFound | DependencyUnavailable):
            return exc
        return DependencyUnavailable("No fue posible consultar los datos del vehículo en el Registro Civil; "
                                     "intente nuevamente.", code=missing.code, retry_after=missing.retry_after)


def chile_today(moment: datetime) -> date:
    """The calendar day in continental Chile at ``moment`` (the day a permit is granted)."""
    return moment.astimezone(SANTIAGO).date()


class FakePrerequisiteChecker:
    """In-memory ``PrerequisitePort`` for service tests, answering as the real services would.

    A plate missing from a mapping has nothing on record there (no policy, no inspection, no
    fines, not registered). ``down`` holds the sources (``aach``, ``mtt``, ``srcei``) to treat
    as unavailable. ``calls`` records each ``(plate, permit_year)`` asked.
    """

    def __init__(
        self,
        *,
        insurance: Mapping[str, InsuranceRecord] | None = None,
        inspections: Mapping[str, InspectionRecord] | None = None,
        fines: Mapping[str, FinesRecord] | None = None,
        vehicles: Mapping[str, VehicleRecord] | None = None,
        down: Iterable[str] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.insurance = dict(insurance or {})
        self.inspections = dict(inspections or {})
        self.fines = dict(fines or {})
        self.vehicles = dict(vehicles or {})
        self.down = set(down)
        self.calls: list[tuple[str, int]] = []
        self._now = now

    def check(self, plate: str, permit_year: int, *, period: PermitPeriod | None = None,
              as_of: date | None = None, with_vehicle: bool = True) -> PrerequisiteReport:
        value = normalize_plate(plate)
        self.calls.append((value, permit_year))
        now = self._now()
        period = period or PermitPeriod.for_year(permit_year)
        as_of = as_of or chile_today(now)

        def unavailable(source: str) -> Unavailable | None:
            return Unavailable(source, f"{source}_unavailable", now) if source in self.down else None

        insurance = unavailable(SOURCE_AACH) or self.insurance.get(value) or InsuranceRecord(
            value, "FAKE-AACH", now)
        inspection = unavailable(SOURCE_MTT) or self.inspections.get(value) or InspectionRecord(
            value, "FAKE-MTT", now, None, None)
        fines = unavailable(SOURCE_SRCEI) or self.fines.get(value) or FinesRecord(value, "FAKE-SRCEI", now)
        vehicle: VehicleRecord | None = None
        vehicle_error: SemError | None = None
        if with_vehicle:
            if SOURCE_SRCEI in self.down:
                vehicle_error = DependencyUnavailable("Registro Civil no disponible (fake).",
                                                      code="srcei_unavailable")
            elif value in self.vehicles:
                vehicle = self.vehicles[value]
            else:
                vehicle_error = NotFound("La patente no está inscrita en el Registro de Vehículos Motorizados.",
                                         code="vehicle_not_found", field="plate")
        return PrerequisiteReport(
            plate=value, period=period, as_of=as_of,
            checks=evaluate_prerequisites(insurance, inspection, fines, period=period, as_of=as_of),
            vehicle=vehicle, vehicle_error=vehicle_error,
        )
