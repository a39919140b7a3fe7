"""The port through which quotes and payments learn a vehicle's data and its prerequisite
checks (insurance, inspection, emissions, fines), and the record of the last answer.

`RegistryChecks` is the port; `DemoRegistryChecks` answers from the demo vehicle table with every
check `ok` (the stand-in until the SOAP services answer behind the same port)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.demo_vehicles import DemoVehicles
from chalicelib.adapters.dynamo import DynamoTable

CHECK_NAMES = ("insurance", "inspection", "emissions", "fines")


@dataclass(frozen=True)
class VehicleCheckResult:
    """A vehicle (None when unknown) and the four checks, each `{"status", "reason", "detail"}`."""

    vehicle: dict[str, Any] | None
    checks: dict[str, dict[str, Any]]
    checked_at: str
    reasons: list[str] = field(default_factory=list)

    @property
    def all_ok(self) -> bool:
        return all(self.checks.get(name, {}).get("status") == "ok" for name in CHECK_NAMES)

    @property
    def any_unavailable(self) -> bool:
        return any(self.checks.get(name, {}).get("status") == "unavailable" for name in (*CHECK_NAMES, "vehicle"))


class RegistryChecks(Protocol):
    def check(self, municipality: str, plate: str, year: int, *, now: datetime) -> VehicleCheckResult: ...


class DemoRegistryChecks:
    """Demo vehicles from the table; every check ok (dev stand-in for the SOAP services)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def check(self, municipality: str, plate: str, year: int, *, now: datetime) -> VehicleCheckResult:
        vehicle = DemoVehicles(self._table).get(municipality, plate)
        at = now.isoformat(timespec="seconds")
        if vehicle is None:
            return VehicleCheckResult(None, {}, at, ["El vehículo no figura en el registro."])
        checks = {name: {"status": "ok", "reason": None, "detail": {"source": "demo", "checked_at": at}}
                  for name in CHECK_NAMES}
        fields = ("plate", "vehicle_class", "make", "model", "model_year", "propulsion", "tasacion", "owner_rut",
                  "owner_name")
        data: dict[str, Any] = {k: vehicle[k] for k in fields if k in vehicle}
        return VehicleCheckResult(data, checks, at)


class SoapRegistryChecks:
    """The SOAP services behind the port: the Registro Civil's vehicle data and the four online
    checks, run in parallel by the `PrerequisiteChecker`."""

    def __init__(self, checker: Any) -> None:
        self._checker = checker

    def check(self, municipality: str, plate: str, year: int, *, now: datetime) -> VehicleCheckResult:
        from chalicelib.domain.errors import NotFound

        report = self._checker.check(plate, year, as_of=now.date())
        checks = {name: getattr(report.checks, name).to_json() for name in CHECK_NAMES}
        at = now.isoformat(timespec="seconds")
        if report.vehicle is None:
            error = report.vehicle_error
            if isinstance(error, NotFound):
                return VehicleCheckResult(None, checks, at, [error.message])
            return VehicleCheckResult(None, {**checks, "vehicle": {"status": "unavailable"}}, at)
        vehicle = report.vehicle.to_json()
        first = vehicle.get("first_registration")
        if vehicle.get("invoice_net_value") and first and int(str(first)[:4]) >= year:
            # First permit of a new vehicle: on the invoice, for the months left (DL 3063 art. 12).
            vehicle["new_vehicle"] = {"net_invoice_value": vehicle["invoice_net_value"], "month": int(str(first)[5:7])}
        return VehicleCheckResult(vehicle, checks, at)
