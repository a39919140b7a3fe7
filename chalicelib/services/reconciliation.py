"""Reconciliation of a municipality's day: the platform's paid payments against TGR's settlement
file in force, each difference a discrepancy record that officials see, comment and resolve; and
the day's consolidation (counters + FCM share + reconciliation status).

Which day a payment belongs to: the day of its `paid_at` as TGR notified it (Chile's time, the
offset TGR sends) — the same day the gateway's counters and TGR's settlement use. Payments are
indexed by creation day (GSI1 `<cut>#PAYDAY#<day>`); a payment is paid within its time to live
(at most 24 h, `payment_ttl_minutes`) of its creation, so the payments paid on day D are among
those created on D-1 and D: two bounded Queries, filtered by status and paid day.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.adapters.reconciliation_repo import ReconciliationRepository
from chalicelib.adapters.refunds_repo import RefundRepository
from chalicelib.adapters.settlement_inbox import SettlementInbox
from chalicelib.adapters.stats_repo import StatsRepository
from chalicelib.domain.errors import ConditionFailed, Conflict, InvalidInput, NotFound
from chalicelib.domain.payments import PAYMENT_ID
from chalicelib.domain.reconciliation import (
    Cell,
    Discrepancy,
    DiscrepancyKind,
    PlatformPayment,
    consolidate,
    current_version,
    parse_settlement,
    reconcile,
    status_of,
)
from chalicelib.observability import logger

STATUS_TEXT = {"open": "Abierta", "cleared": "Superada por una nueva rendición", "resolved": "Resuelta"}
PAYMENT_STATUS_HINT = {"review": "el pago está en revisión en la plataforma", "expired": "el pago expiró en la "
                       "plataforma", "rejected": "la plataforma lo registró como rechazado", "pending": "el pago "
                       "sigue pendiente en la plataforma", "cancelled": "el pago fue anulado en la plataforma"}


@dataclass
class ReconciliationContext:
    """What reconciling, ingesting and consolidating need."""

    table: DynamoTable
    recon: ReconciliationRepository
    stats: StatsRepository
    payments: PaymentRepository
    inbox: SettlementInbox
    audit: AuditLog
    clock: Callable[[], datetime]
    refunds: RefundRepository


def check_day(day: str) -> str:
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("La fecha debe tener el formato AAAA-MM-DD.", code="invalid_day", field="day") from None
    return day


# -- the day's payments ----------------------------------------------------------------------------

def paid_payments(code: str, day: str, table: DynamoTable) -> list[PlatformPayment]:
    """The municipality's payments paid on `day` (created that day or the day before)."""
    return [PlatformPayment(str(item["payment_id"]), str(item.get("order_id") or ""), int(item["amount"]),
                            str(item.get("method") or "desconocido"), str(item["paid_at"]))
            for item in PaymentRepository(table).paid_on(code, day)]


RETURN_WINDOW_DAYS = 60
"""How far back a refund closed on the day may have been proposed."""


def day_returns(code: str, day: str, refunds: RefundRepository) -> list[PlatformPayment]:
    """The municipality's refunds completed and reversals notified on `day` (Chile's date of TGR's
    time), as negative lines: `order_id` holds the reference the settlement's `autorizacion` carries."""
    low = (date.fromisoformat(day) - timedelta(days=RETURN_WINDOW_DAYS)).isoformat()
    high = (date.fromisoformat(day) + timedelta(days=2)).isoformat()
    found: list[PlatformPayment] = []
    for row in refunds.created_between(code, low, high):
        if row.get("kind") == "reversal":
            at, reference, method = str(row.get("created_at") or ""), str(row["reversal_id"]), "contracargo"
        elif row.get("status") == "completed":
            at, reference, method = str(row.get("completed_at") or ""), str(row["refund_id"]), "devolucion"
        else:
            continue
        if at[:10] == day:
            found.append(PlatformPayment(str(row["payment_id"]), reference, -int(row["amount"]), method, at))
    return found


def _explain(code: str, discrepancy: Discrepancy, ctx: ReconciliationContext) -> Discrepancy:
    """Say what the platform knows of a settlement line it has not as paid that day."""
    if discrepancy.kind is not DiscrepancyKind.NOT_IN_PLATFORM or not discrepancy.payment_id:
        return discrepancy
    match = PAYMENT_ID.match(discrepancy.payment_id)
    if not match or match.group(1) != code:
        return discrepancy
    payment = ctx.payments.get(code, discrepancy.payment_id)
    if payment is None:
        hint = "el pago no existe en la plataforma"
    elif payment.get("status") == "paid":
        hint = f"la plataforma lo registra pagado el {str(payment.get('paid_at', ''))[:10]}"
    else:
        hint = PAYMENT_STATUS_HINT.get(str(payment.get("status")), f"estado {payment.get('status')}")
    return Discrepancy(discrepancy.kind, discrepancy.payment_id, discrepancy.order_id, discrepancy.platform_amount,
                       discrepancy.settlement_amount, f"{discrepancy.detail} Observación: {hint}.")


# -- reconciling -------------------------------------------------------------------------------------

def reconcile_day(code: str, day: str, ctx: ReconciliationContext, *, trigger: str) -> dict[str, Any]:
    """Reconcile a day against the settlement version in force and record the run; discrepancies are
    created once, re-opened if they come back, and cleared (never deleted) when a later version no
    longer shows them. Safe to run again at any time (a late payment, a late or corrected file)."""
    check_day(day)
    now = ctx.clock().isoformat(timespec="seconds")
    current = current_version(ctx.recon.files(code, day))
    payments = paid_payments(code, day, ctx.table)
    returns = day_returns(code, day, ctx.refunds)
    run: dict[str, Any] = {"at": now, "trigger": trigger, "payments": len(payments), "returns": len(returns),
                           "platform_total": sum(p.amount for p in payments) + sum(r.amount for r in returns)}
    if current is None:
        status, text = status_of(False, 0)
        run.update(status=status, status_text=text)
        ctx.recon.add_run(code, day, run)
        return _public_run(run)
    settlement = parse_settlement(ctx.inbox.get(str(current["archive_key"])))
    matching = reconcile(payments, settlement.lines, returns)
    found = {d.id: _explain(code, d, ctx) for d in matching.discrepancies}
    existing = {d["discrepancy_id"]: d for d in ctx.recon.discrepancies(code, day)}
    version = int(current["version"])
    for discrepancy_id, discrepancy in found.items():
        before = existing.get(discrepancy_id)
        if before is None:
            record = {**discrepancy.record(), "status": "open", "detected_at": now, "settlement_version": version}
            event = ctx.recon.event_row(code, day, discrepancy_id, now, "detected",
                                        {"settlement_version": version, "text": discrepancy.detail})
            ctx.recon.create(code, day, record, event)
        elif before.get("status") == "cleared":
            event = ctx.recon.event_row(code, day, discrepancy_id, now, "reopened",
                                        {"settlement_version": version, "text": discrepancy.detail})
            _try_transition(code, day, discrepancy_id, ("cleared",), "open", event, ctx)
    for discrepancy_id, before in existing.items():
        if discrepancy_id not in found and before.get("status") == "open":
            event = ctx.recon.event_row(code, day, discrepancy_id, now, "cleared", {
                "settlement_version": version,
                "text": f"La versión {version} de la rendición ya no presenta esta diferencia."})
            _try_transition(code, day, discrepancy_id, ("open",), "cleared", event, ctx)
    open_count = sum(1 for d in ctx.recon.discrepancies(code, day) if d.get("status") == "open")
    status, text = status_of(True, open_count)
    run.update(status=status, status_text=text, settlement_version=version, settlement_sha256=current["sha256"],
               settlement_generated_at=current["generated_at"], lines=len(settlement.lines),
               settlement_total=matching.settlement_total, matched=len(matching.matched),
               discrepancies=len(found), open=open_count)
    ctx.recon.add_run(code, day, run)
    logger.info("day reconciled", extra={"municipality": code, "day": day, "status": status,
                                         "discrepancies": len(found)})
    return _public_run(run)


def _try_transition(code: str, day: str, discrepancy_id: str, from_status: tuple[str, ...], to_status: str,
                    event: dict[str, Any], ctx: ReconciliationContext) -> None:
    # An official (or another run) may have moved it first: their state stands.
    with contextlib.suppress(ConditionFailed):
        ctx.recon.transition(code, day, discrepancy_id, from_status=from_status, to_status=to_status, event=event)


def _public_run(run: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k not in ("pk", "sk")}


# -- what officials see and do --------------------------------------------------------------------

def day_view(code: str, day: str, ctx: ReconciliationContext) -> dict[str, Any]:
    """The day's reconciliation: status, settlement versions, discrepancies with their history."""
    check_day(day)
    files = ctx.recon.files(code, day)
    current = current_version(files)
    discrepancies = sorted(ctx.recon.discrepancies(code, day), key=lambda d: (d.get("status") != "open",
                                                                                 str(d.get("detected_at"))))
    for discrepancy in discrepancies:
        discrepancy["status_text"] = STATUS_TEXT.get(str(discrepancy.get("status")), discrepancy.get("status"))
    open_count = sum(1 for d in discrepancies if d.get("status") == "open")
    status, text = status_of(current is not None, open_count)
    run = ctx.recon.latest_run(code, day)
    return {
        "municipality": code, "day": day, "status": status, "status_text": text, "open": open_count,
        "last_run": _public_run(run) if run else None,
        "settlement": None if current is None else _file_view(current),
        "files": [_file_view(f) for f in sorted(files, key=lambda f: int(f.get("version", 0)))],
        "discrepancies": discrepancies,
    }


def _file_view(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in ("version", "key", "sha256", "status", "generated_at", "received_at", "lines",
                                       "total", "reason")}


def _discrepancy(code: str, day: str, discrepancy_id: str, ctx: ReconciliationContext) -> dict[str, Any]:
    check_day(day)
    record = ctx.recon.get(code, day, discrepancy_id) if discrepancy_id.isalnum() else None
    if record is None:
        raise NotFound("No existe esa diferencia en la conciliación del día.", code="discrepancy_not_found",
                       field="id")
    return record


def comment(code: str, day: str, discrepancy_id: str, text: str, *, actor: str, profile: str,
            ctx: ReconciliationContext) -> dict[str, Any]:
    """Append an official's comment to a discrepancy (in any status)."""
    _discrepancy(code, day, discrepancy_id, ctx)
    now = ctx.clock().isoformat(timespec="seconds")
    event = ctx.recon.event_row(code, day, discrepancy_id, now, "comment",
                                {"by": actor, "profile": profile, "text": text})
    ctx.recon.append_event(event)
    ctx.audit.record(code, actor=actor, profile=profile, action="reconciliation.comment",
                     target=f"{day}/{discrepancy_id}", after={"text": text})
    return {k: v for k, v in event.items() if k not in ("pk", "sk")}


def resolve(code: str, day: str, discrepancy_id: str, *, outcome: str, note: str, actor: str, profile: str,
            ctx: ReconciliationContext) -> dict[str, Any]:
    """Resolve an open discrepancy; its detection and comments stay as they were."""
    record = _discrepancy(code, day, discrepancy_id, ctx)
    if record.get("status") != "open":
        raise Conflict(f"La diferencia no está abierta (estado: {STATUS_TEXT.get(str(record.get('status')))}).",
                       code="discrepancy_not_open")
    now = ctx.clock().isoformat(timespec="seconds")
    event = ctx.recon.event_row(code, day, discrepancy_id, now, "resolved",
                                {"by": actor, "profile": profile, "outcome": outcome, "text": note})
    try:
        ctx.recon.transition(code, day, discrepancy_id, from_status=("open",), to_status="resolved", event=event,
                             set_fields={"resolved_at": now, "resolved_by": actor})
    except ConditionFailed:
        raise Conflict("Otra persona cambió esta diferencia; recargue la página.", code="discrepancy_not_open") \
            from None
    ctx.audit.record(code, actor=actor, profile=profile, action="reconciliation.resolve",
                     target=f"{day}/{discrepancy_id}", before={"status": "open"},
                     after={"status": "resolved", "outcome": outcome, "note": note})
    updated = ctx.recon.get(code, day, discrepancy_id) or record
    return {k: v for k, v in updated.items() if k not in ("pk", "sk")}


# -- consolidation -------------------------------------------------------------------------------

def cells_of(items: list[dict[str, Any]]) -> list[Cell]:
    """Counter items of a municipality's day as cells (sk `<service>#<method>`)."""
    cells = []
    for item in items:
        service, _, method = str(item["sk"]).partition("#")
        cells.append(Cell(service, method or "desconocido", int(item.get("amount", 0)), int(item.get("items", 0)),
                          int(item.get("payments", 0))))
    return cells


def consolidation(code: str, day: str, ctx: ReconciliationContext) -> dict[str, Any]:
    """The day's consolidation: totals by service and method, the FCM share of permit revenue and
    the municipal share, from the counters (one Query), with the reconciliation status."""
    from chalicelib.domain.reference_data import permit_rules_for

    check_day(day)
    result = consolidate(cells_of(ctx.stats.day_cells(code, day)), permit_rules_for(code).fcm_share).as_dict()
    view = day_view(code, day, ctx)
    return {"municipality": code, "day": day, **result,
            "reconciliation": {k: view[k] for k in ("status", "status_text", "open", "settlement", "last_run")}}
