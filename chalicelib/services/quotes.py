"""What the citizen sees before paying: a permit quote by plate, and a RUT's debts."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.domain.back_years import years_text
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.payments import debt_hold_key, mask_name, utc_key
from chalicelib.domain.plates import parse_plate
from chalicelib.domain.rut import parse_rut
from chalicelib.services import back_years
from chalicelib.services.payments import PaymentContext
from chalicelib.services.permit_items import price_permit
from chalicelib.services.portal import Portal


def permit_quote(portal: Portal, raw_plate: str, year: int, ctx: PaymentContext) -> dict[str, Any]:
    """Vehicle (owner masked), amounts for full / first / second, the breakdown, each check, and
    whether it can be paid now, with the reasons when not."""
    plate = parse_plate(raw_plate, field="plate")
    now = ctx.clock()
    result = ctx.registry.check(portal.code, plate.value, year, now=now)
    if result.vehicle is None:
        if result.any_unavailable or not result.reasons:
            raise DependencyUnavailable("No se pudo consultar el registro de vehículos; reintente en unos minutos.",
                                        code="registry_unavailable", retry_after=60)
        return {"plate": plate.value, "year": year, "vehicle": None, "checks": result.checks, "amounts": None,
                "payable": False, "reasons": result.reasons}
    vehicle = result.vehicle
    holds = ctx.plate_holds(str(vehicle["plate"]))  # every year of the plate: one eventually consistent Query
    prices = {inst: price_permit(portal.code, portal.config, vehicle, year, inst, refs=ctx.references,
                                 holds=holds, today=now.date(), now_iso=utc_key(now),
                                 allow_estimated=ctx.allow_estimated)
              for inst in ("full", "first", "second")}
    full = prices["full"]
    reasons = [c.get("reason") or f"{name}: {c.get('status')}" for name, c in result.checks.items()
               if c.get("status") != "ok"]
    reasons += full.reasons
    owed = back_years.owed(plate.value, year, vehicle, ctx.plate_holds(plate.value))  # read once a plate
    owed_block = _owed_block(portal, vehicle, owed, ctx, now) if owed else None
    if owed:
        reasons.append(f"Adeuda el permiso de {years_text(owed)}: se paga antes del permiso {year} o en el mismo "
                       "pago.")
    return {
        "plate": plate.value, "year": year, "municipality": portal.code,
        "vehicle": {"plate": plate.value, "vehicle_class": vehicle.get("vehicle_class"), "make": vehicle.get("make"),
                    "model": vehicle.get("model"), "model_year": vehicle.get("model_year"),
                    "propulsion": vehicle.get("propulsion"),
                    "owner": mask_name(str(vehicle.get("owner_name", "")))},
        "tasacion": vehicle.get("tasacion"),
        "amounts": {inst: p.amount for inst, p in prices.items()},
        "installments": {inst: {"amount": p.amount, "payable": p.amount is not None and not p.reasons
                                and result.all_ok, "reasons": p.reasons,
                                # every step of this installment (split, readjustment, art. 53 surcharges)
                                "breakdown": p.breakdown if inst != "full" else None}
                         for inst, p in prices.items()},
        "estimated": full.estimated,
        "breakdown": full.breakdown,
        "checks": result.checks,
        "checked_at": result.checked_at,
        # earlier years the national record shows unpaid: each priced as paid today (readjusted, art. 53)
        "back_years": owed_block,
        "payable": result.all_ok and full.amount is not None and not full.reasons and not owed,
        "reasons": [str(r) for r in reasons],
    }


def _owed_block(portal: Portal, vehicle: dict[str, Any], owed: tuple[int, ...], ctx: PaymentContext,
                now: Any) -> dict[str, Any]:
    """The owed years, each with its amount today and every step (base, readjustment, interest)."""
    years = []
    for back in owed:
        price = price_permit(portal.code, portal.config, vehicle, back, "full", refs=ctx.references,
                             holds=ctx.plate_holds(str(vehicle["plate"])), today=now.date(), now_iso=utc_key(now),
                             allow_estimated=ctx.allow_estimated)
        years.append({"year": back, "amount": price.amount, "estimated": price.estimated,
                      "breakdown": price.breakdown or None, "reasons": price.reasons})
    amounts = [y["amount"] for y in years]
    return {"rule": back_years.RULE, "source": back_years.SOURCE, "years": years,
            "total": sum(a for a in amounts if a is not None) if all(a is not None for a in amounts) else None,
            "pay_together": True}


def debts_of(portal: Portal, raw_rut: str, ctx: PaymentContext) -> dict[str, Any]:
    """A RUT's open debts in the municipality: patentes, aseo installments, second installments."""
    rut = parse_rut(raw_rut, field="rut")
    now = ctx.clock()
    listed = []
    for debt in ctx.debts.by_rut(portal.code, rut.compact):
        if debt.get("status") != "open":
            continue
        entry = {k: debt.get(k) for k in ("debt_id", "type", "description", "period", "due_date")}
        if debt["type"] == "permit_second":
            entry["amount"] = _second_installment_amount(portal, debt, ctx)
        else:
            entry["amount"] = int(debt["amount"])
        entry["in_progress"] = _held(ctx.payments, portal.code, debt, utc_key(now))
        listed.append(entry)
    return {"rut": rut.formatted, "municipality": portal.code, "debts": listed,
            "total": sum(int(d["amount"] or 0) for d in listed)}


def _second_installment_amount(portal: Portal, debt: dict[str, Any], ctx: PaymentContext) -> int | None:
    now = ctx.clock()
    result = ctx.registry.check(portal.code, debt["plate"], int(debt["year"]), now=now)
    if result.vehicle is None:
        return None
    price = price_permit(portal.code, portal.config, result.vehicle, int(debt["year"]), "second",
                         refs=ctx.references, holds=ctx.plate_holds(str(result.vehicle["plate"])), today=now.date(),
                         now_iso=utc_key(now), allow_estimated=ctx.allow_estimated)
    return price.amount


def _held(payments: PaymentRepository, code: str, debt: dict[str, Any], now_iso: str) -> bool:
    if debt["type"] == "permit_second":
        return False
    hold = payments.hold((code, debt_hold_key(debt["debt_id"])))
    return bool(hold and hold.get("status") == "pending" and str(hold.get("expires_at", "")) > now_iso)
