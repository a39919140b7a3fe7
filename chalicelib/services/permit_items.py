"""What a permit costs a given vehicle in a given municipality and year, and whether it can be
paid now: shared by the quote and the payment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.domain.errors import SemError
from chalicelib.domain.payments import permit_hold_keys
from chalicelib.domain.permits import PermitRequest, compute_permit
from chalicelib.services import municipalities

PLATFORM = "00000"


@dataclass(frozen=True)
class PermitPrice:
    """The computed permit of one installment, and what stands in the way of paying it."""

    installment: str
    amount: int | None
    estimated: bool
    breakdown: dict[str, Any]
    blockers: list[str]
    held: list[str]
    """Reasons that are holds: the item is paid, or another payment has it (a conflict)."""

    @property
    def reasons(self) -> list[str]:
        return self.blockers + self.held


def permit_request(vehicle: dict[str, Any], year: int, installment: str, payment_date: date | None) -> PermitRequest:
    body: dict[str, Any] = {"vehicle_class": vehicle["vehicle_class"], "year": year, "installment": installment,
                            "propulsion": vehicle.get("propulsion", "combustion")}
    if vehicle.get("tasacion") is not None:
        body["tasacion"] = vehicle["tasacion"]
    if vehicle.get("model_year") is not None:
        body["model_year"] = vehicle["model_year"]
    if vehicle.get("new_vehicle"):
        body["new_vehicle"] = vehicle["new_vehicle"]
    if vehicle.get("capacity_kg") is not None:
        body["capacity_kg"] = vehicle["capacity_kg"]
    if payment_date is not None:
        body["payment_date"] = payment_date.isoformat()
    return PermitRequest.parse(body)


def price_permit(code: str, config: dict[str, Any], vehicle: dict[str, Any], year: int, installment: str, *,
                 refs: ReferenceRepository, holds: Mapping[str, Mapping[str, Any]], today: date, now_iso: str,
                 allow_estimated: bool) -> PermitPrice:
    """The amount of one installment today, with the reasons it cannot be paid (if any). `holds`
    are the plate's permit holds by item key (`PaymentRepository.permit_holds`, read once per
    request: `PaymentContext.plate_holds`)."""
    blockers: list[str] = []
    held: list[str] = []
    try:
        result = compute_permit(permit_request(vehicle, year, installment, today), refs.tables(),
                                municipalities.permit_rules(config))
    except SemError as exc:
        return PermitPrice(installment, None, False, {}, [exc.message], [])
    amount = result.amount
    if result.estimated and not allow_estimated:
        blockers.append("El monto usa valores de UTM o IPC proyectados; se podrá pagar cuando se publiquen.")
    for key in permit_hold_keys(vehicle["plate"], year, installment):
        hold = holds.get(key)
        if hold is None or hold.get("status") == "released":
            continue
        if hold.get("status") == "paid":
            half = "primera cuota" if key.endswith("#1") else "segunda cuota"
            held.append(f"La {half} del permiso {year} ya está pagada.")
        elif hold.get("status") == "pending" and str(hold.get("expires_at", "")) > now_iso:
            held.append("Hay un pago en curso para este permiso; espere a que termine o expire.")
        elif hold.get("status") == "review":
            held.append("Hay un pago de este permiso en revisión por la municipalidad.")
    if installment == "second":
        first = holds.get(permit_hold_keys(vehicle["plate"], year, "first")[0])
        if first is None or first.get("status") != "paid":
            blockers.append("La segunda cuota se paga después de la primera.")
        elif first.get("municipality") != code:
            blockers.append("La segunda cuota debe pagarse en la misma municipalidad que la primera.")
    return PermitPrice(installment, amount, result.estimated, result.breakdown, sorted(set(blockers)),
                       sorted(set(held)))
