"""Money back: refunds proposed by officials and authorized with an advanced electronic signature
over the refund order, sent to TGR as a refund order and closed by TGR's signed notification; and
TGR's reversals (contracargos). The flow for a treasurer is in docs/refunds.md, the rules in
`domain/refunds.py`, the writes in `adapters/refunds_repo.py`."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.job_queue import JobQueue
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.payments_repo import HoldRef, PaymentRepository, event_row
from chalicelib.adapters.receipts_repo import ReceiptRepository
from chalicelib.adapters.refunds_repo import Annulment, RefundRepository
from chalicelib.adapters.tgr_client import RefundOrder, TgrClient
from chalicelib.domain import refunds as rules
from chalicelib.domain.errors import (
    ConditionFailed,
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotFound,
    RuleRefused,
)
from chalicelib.domain.payments import (
    PAYMENT_ID,
    municipality_of,
    second_installment_of,
    utc_key,
    went_through_paid,
)
from chalicelib.domain.personal_data import mask_rut
from chalicelib.domain.receipt_state import receipt_allocation
from chalicelib.domain.refunds import REASONS, RefundStatus
from chalicelib.observability import logger
from chalicelib.services import signatures
from chalicelib.services.auth import Official
from chalicelib.services.permit_items import PLATFORM

LINK_SECONDS = 300
GATEWAY_ACTOR, GATEWAY_PROFILE = "TGR", "pasarela"
NOTIFICATION_ATTEMPTS = 3
DOCUMENT_RECHECK = timedelta(minutes=10)
"""How long a completed refund's or a reversal's document job has before the sweep queues it again
(a job normally ends within seconds; a second one is harmless, the job being idempotent)."""
LIST_PAGES = 10
REVERSAL_TEXT = "Contracargo del medio de pago informado por la Tesorería"


@dataclass
class RefundsContext:
    """What the refund use cases need."""

    payments: PaymentRepository
    debts: DebtRepository
    refunds: RefundRepository
    receipts: ReceiptRepository
    gateway: TgrClient
    documents: ObjectStore
    """Signed refund orders (the receipts bucket)."""
    municipalities: MunicipalityRepository
    signatures: signatures.SignaturesContext
    clock: Callable[[], datetime]
    notify_url: str
    jobs: JobQueue | None = None
    """The receipts queue: the annulment document's job (services/annulments.py)."""


# -- views ---------------------------------------------------------------------------------------

def view(row: dict[str, Any], ctx: RefundsContext | None = None) -> dict[str, Any]:
    """A refund or reversal as officials see it."""
    if row.get("kind") == "reversal":
        reversal = {"kind": "reversal", "reversal_id": row["reversal_id"], "payment_id": row["payment_id"],
                    "status": "completed", "status_text": "Contracargo: pago reversado por la Tesorería",
                    "amount": int(row["amount"]), "reason_text": row.get("reason_text") or REVERSAL_TEXT,
                    "created_at": row.get("created_at"), "completed_at": row.get("created_at"),
                    "acknowledged": bool(row.get("acknowledged_at"))}
        for name in ("acknowledged_at", "acknowledged_by", "acknowledgement_note"):
            if row.get(name) is not None:
                reversal[name] = row[name]
        return reversal
    status = RefundStatus(row["status"])
    body: dict[str, Any] = {
        "kind": "refund", "refund_id": row["refund_id"], "payment_id": row["payment_id"], "status": status.value,
        "status_text": rules.STATUS_TEXT[status], "amount": int(row["amount"]),
        "items": [int(i) for i in row.get("items", [])], "whole": bool(row.get("whole")),
        "reason": row["reason"], "reason_text": REASONS.get(str(row["reason"]), str(row["reason"])),
        "note": row.get("note") or "", "created_at": row.get("created_at"), "proposed_by": row.get("proposed_by"),
    }
    for name in ("authorized_by", "authorized_at", "certificate_serial", "document_sha256", "tgr_refund_order_id",
                 "tgr_reason", "completed_at", "closed_at", "cancelled_by"):
        if row.get(name) is not None:
            body[name] = row[name]
    if ctx is not None and row.get("document_key"):
        body["document_url"] = ctx.documents.presign_get(str(row["document_key"]), expires_in=LINK_SECONDS,
                                                         filename=f"orden-devolucion-{row['refund_id']}.pdf")
    return body


def listing(code: str, ctx: RefundsContext, *, status: str | None, limit: int, cursor: str | None
            ) -> dict[str, Any]:
    """The municipality's refunds and reversals, newest first; `status` filters (e.g. `proposed`:
    the authorizations pending)."""
    rows: list[dict[str, Any]] = []
    for _ in range(LIST_PAGES):  # a filter reads on, a bounded number of pages, to fill the page
        page = ctx.refunds.listing(code, limit=limit, cursor=cursor)
        rows += [r for r in (view(item) for item in page.items) if not status or r["status"] == status]
        cursor = page.cursor
        if cursor is None or len(rows) >= limit:
            break
    return {"items": rows, "cursor": cursor, "reasons": [{"code": k, "text": v} for k, v in REASONS.items()]}


ALERTS_SHOWN = 50
REVERSAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
"""TGR's reversal ids as they may appear in a path (anything else names no reversal)."""


def open_reversals(code: str, ctx: RefundsContext) -> dict[str, Any]:
    """The reversals (contracargos) nobody in the treasury has acknowledged yet, newest first: the
    console's alert. TGR took money back from the municipality; someone must look into it."""
    return {"items": [view(row) for row in ctx.refunds.open_alerts(code, limit=ALERTS_SHOWN)]}


def acknowledge_reversal(code: str, payment_id: str, reversal_id: str, note: str, official: Official,
                         ctx: RefundsContext) -> dict[str, Any]:
    """An official records having looked into a reversal (what was done, in `note`): the alert
    goes, the step is in the payment's history and the audit log."""
    row = ctx.refunds.reversal(code, payment_id, reversal_id) if REVERSAL_ID.match(reversal_id) else None
    if row is None:
        raise NotFound("No existe ese contracargo para este pago.", code="reversal_not_found", field="reversal_id")
    if row.get("acknowledged_at"):
        raise Conflict("Ese contracargo ya fue revisado.", code="already_acknowledged")
    now = ctx.clock()
    now_iso = now.isoformat(timespec="seconds")
    fields = {"acknowledged_at": now_iso, "acknowledged_by": _who(official), "acknowledgement_note": note.strip()}
    try:
        ctx.refunds.acknowledge(
            code, payment_id, reversal_id, fields=fields,
            event=event_row(code, payment_id, now_iso, "reversal_acknowledged",
                            {"reversal_id": reversal_id, "by": official.email}),
            audit=audit_row(code, actor=official.email, profile=official.profile, action="payment.reversal.acknowledge",
                            target=f"{payment_id}#{reversal_id}", after={"note": note.strip()}, now=now))
    except ConditionFailed as exc:
        raise Conflict("Ese contracargo ya fue revisado.", code="already_acknowledged") from exc
    return view({**row, **fields})


def of_payment(code: str, payment_id: str, ctx: RefundsContext) -> list[dict[str, Any]]:
    """A payment's refunds and reversals, oldest first (the payment detail shows them)."""
    rows = ctx.refunds.of_payment(code, payment_id) + ctx.refunds.reversals_of(code, payment_id)
    return sorted((view(r, ctx) for r in rows), key=lambda r: str(r.get("created_at")))


def require_payment(code: str, payment_id: str, ctx: RefundsContext) -> dict[str, Any]:
    """The municipality's payment, or 404 (an id of another municipality is not looked up)."""
    match = PAYMENT_ID.match(payment_id or "")
    payment = ctx.payments.get(code, payment_id) if match and match.group(1) == code else None
    if payment is None:
        raise NotFound("No existe ese pago en esta municipalidad.", code="payment_not_found", field="payment_id")
    return payment


def _refund(code: str, payment_id: str, refund_id: str, ctx: RefundsContext) -> dict[str, Any]:
    rules.check_refund_id(refund_id)
    require_payment(code, payment_id, ctx)
    row = ctx.refunds.get(code, payment_id, refund_id)
    if row is None:
        raise NotFound("No existe esa devolución para este pago.", code="refund_not_found", field="refund_id")
    return row


def _gateway_audit(code: str, *, action: str, target: str, **change: Any) -> dict[str, Any]:
    """The audit entry of a step TGR's notification or answer caused."""
    return audit_row(code, actor=GATEWAY_ACTOR, profile=GATEWAY_PROFILE, action=action, target=target, **change)


def _who(official: Official) -> dict[str, str]:
    return {"email": official.email, "name": official.name, "profile": official.profile}


# -- propose / withdraw --------------------------------------------------------------------------

def propose(code: str, payment_id: str, official: Official, ctx: RefundsContext, *, items: Sequence[int] | None,
            amount: int | None, reason: str, note: str) -> dict[str, Any]:
    """A refund proposal (nothing is paid until a profile that authorizes payments signs it)."""
    rules.check_reason(reason, note)
    payment = require_payment(code, payment_id, ctx)
    if payment.get("refund_open"):
        raise Conflict("El pago ya tiene una devolución propuesta o en curso.", code="refund_in_progress")
    plan = rules.plan_refund(payment, items, amount)
    _refuse_if_second_installment_paid(code, payment, plan.items, ctx)
    now = ctx.clock()
    now_iso = now.isoformat(timespec="seconds")
    refund_id = rules.new_refund_id(int(now.timestamp() * 1000), os.urandom(10))
    row = ctx.refunds.refund_row(code, payment_id, refund_id, utc_key(now), {
        "refund_id": refund_id, "payment_id": payment_id, "municipality": code, "status": RefundStatus.PROPOSED.value,
        "amount": plan.amount, "items": list(plan.items), "whole": plan.whole, "reason": reason,
        "note": note.strip(), "created_at": now_iso, "proposed_by": _who(official),
        "collected": rules.collected(payment), "refunded_before": rules.refunded_so_far(payment)})
    event = event_row(code, payment_id, now_iso, "refund_proposed",
                      {"refund_id": refund_id, "amount": plan.amount, "items": list(plan.items), "reason": reason,
                       "by": official.email})
    audit = audit_row(code, actor=official.email, profile=official.profile, action="refund.propose",
                      target=f"{payment_id}#{refund_id}", after={"amount": plan.amount, "reason": reason}, now=now)
    try:
        ctx.refunds.propose(row, payment_states=rules.REFUNDABLE_PAYMENT_STATES, event=event, audit=audit)
    except ConditionFailed as exc:
        raise Conflict("Otra devolución de este pago se registró al mismo tiempo, o el pago cambió; recargue.",
                       code="refund_in_progress") from exc
    logger.info("refund proposed", extra={"municipality": code, "amount": plan.amount})
    return view(row, ctx)


def withdraw(code: str, payment_id: str, refund_id: str, official: Official, ctx: RefundsContext) -> dict[str, Any]:
    """Withdraw a proposal not yet signed."""
    row = _refund(code, payment_id, refund_id, ctx)
    if row["status"] != RefundStatus.PROPOSED.value:
        raise Conflict("Solo se retira una devolución propuesta, aún sin firmar.", code="refund_not_proposed")
    now = ctx.clock()
    now_iso = now.isoformat(timespec="seconds")
    fields = {"closed_at": now_iso, "cancelled_by": _who(official)}
    try:
        ctx.refunds.withdraw(code, payment_id, refund_id, set_fields=fields,
                             event=event_row(code, payment_id, now_iso, "refund_withdrawn",
                                             {"refund_id": refund_id, "by": official.email}),
                             audit=audit_row(code, actor=official.email, profile=official.profile,
                                             action="refund.withdraw", target=f"{payment_id}#{refund_id}", now=now))
    except ConditionFailed as exc:
        raise Conflict("La devolución cambió mientras la retiraba; recargue.", code="refund_changed") from exc
    return view({**row, **fields, "status": RefundStatus.CANCELLED.value}, ctx)


# -- authorize (the signature) -------------------------------------------------------------------

def authorize(code: str, payment_id: str, refund_id: str, otp: str, official: Official, ctx: RefundsContext
              ) -> dict[str, Any]:
    """Sign the refund order (advanced signature, one-time code), record it, and send it to TGR."""
    from chalicelib.documents.refund_pdfs import REFUND_BOX, refund_order_pdf
    from chalicelib.signing.port import Appearance, DocumentToSign

    row = _refund(code, payment_id, refund_id, ctx)
    if row["status"] != RefundStatus.PROPOSED.value:
        raise Conflict("Esta devolución ya fue firmada o cerrada.", code="refund_not_proposed")
    payment = require_payment(code, payment_id, ctx)
    if payment.get("refund_open") != refund_id or payment["status"] not in rules.REFUNDABLE_PAYMENT_STATES:
        raise Conflict("El pago cambió desde la propuesta; retírela y proponga de nuevo.", code="payment_changed")
    # What the proposal returns must still fit in what is left to return.
    if int(row["amount"]) > rules.collected(payment) - rules.refunded_so_far(payment):
        raise Conflict("La devolución supera lo pagado que queda por devolver.", code="refund_exceeds_paid")
    _refuse_if_second_installment_paid(code, payment, [int(i) for i in row.get("items", [])], ctx)
    signer = signatures.identity(official, ctx.signatures)
    now = ctx.clock()
    config = ctx.municipalities.get(code) or {}
    name = str(config.get("legal_name") or config.get("name") or code)
    lines = payment.get("items", [])
    proposer = row.get("proposed_by") or {}
    payer = payment.get("payer") or {}
    pdf = refund_order_pdf({
        "refund_id": refund_id, "payment_id": payment_id, "order_id": payment.get("order_id"),
        "paid_at": payment.get("paid_at"), "collected": rules.collected(payment),
        "refunded_before": rules.refunded_so_far(payment), "amount": int(row["amount"]),
        "items": [{"description": lines[int(i)].get("description", ""), "amount": lines[int(i)].get("amount", 0)}
                  for i in row.get("items", []) if int(i) < len(lines)],
        "reason_text": REASONS[str(row["reason"])], "note": row.get("note"),
        "payer": f"{payer.get('name', '')} ({mask_rut(payer.get('rut'))})",
        "proposed_by": f"{proposer.get('name')} ({proposer.get('email')})", "proposed_at": row.get("created_at"),
    }, municipality=name, generated_at=now.strftime("%d-%m-%Y %H:%M"))
    document = DocumentToSign(pdf=pdf, kind="refund_order", description=f"orden-devolucion-{refund_id}.pdf",
                              appearance=Appearance(field_name="FirmaDevolucion", box=REFUND_BOX,
                                                    reason="Autorización de devolución de un pago", location=name,
                                                    certify="no_changes"))
    signed_pdf = ctx.signatures.port.sign(document, signer, otp=otp)
    key = f"{code}/refunds/{payment_id}/{refund_id}-{secrets.token_hex(6)}.pdf"
    ctx.documents.put(key, signed_pdf, content_type="application/pdf", metadata={"kind": "refund_order"})
    now_iso = ctx.clock().isoformat(timespec="seconds")
    fields = {"authorized_by": _who(official), "authorized_at": now_iso, "document_key": key,
              "document_sha256": signatures.sha256_hex(signed_pdf),
              "certificate_serial": signatures.certificate_serial(official, ctx.signatures)}
    try:
        ctx.refunds.authorize(
            code, payment_id, refund_id, payment_from=str(payment["status"]), row_fields=fields,
            event=event_row(code, payment_id, now_iso, "refund_authorized",
                            {"refund_id": refund_id, "amount": int(row["amount"]), "by": official.email,
                             "document_sha256": fields["document_sha256"]}),
            audit=audit_row(code, actor=official.email, profile=official.profile, action="refund.authorize",
                            target=f"{payment_id}#{refund_id}",
                            after={"amount": int(row["amount"]), "document_sha256": fields["document_sha256"],
                                   "certificate_serial": fields["certificate_serial"]}, now=now))
    except ConditionFailed as exc:
        raise Conflict("Otra firma de esta devolución se registró mientras usted firmaba, o el pago cambió; recargue.",
                       code="refund_already_authorized") from exc
    logger.info("refund authorized", extra={"municipality": code})
    return _send(code, payment_id, refund_id, ctx)


def send(code: str, payment_id: str, refund_id: str, ctx: RefundsContext) -> dict[str, Any]:
    """Send an authorized (signed) refund order to TGR again, after TGR did not answer."""
    row = _refund(code, payment_id, refund_id, ctx)
    if row["status"] != RefundStatus.AUTHORIZED.value:
        raise Conflict("Solo se reenvía una devolución firmada que la Tesorería aún no recibió.",
                       code="refund_not_authorized")
    return _send(code, payment_id, refund_id, ctx)


def _send(code: str, payment_id: str, refund_id: str, ctx: RefundsContext) -> dict[str, Any]:
    row = ctx.refunds.get(code, payment_id, refund_id) or {}
    payment = ctx.payments.get(code, payment_id) or {}
    try:
        answer = ctx.gateway.create_refund(
            refund_id=refund_id, order_id=str(payment.get("order_id")), payment_id=payment_id, municipality=code,
            amount=int(row["amount"]), reason=REASONS[str(row["reason"])], notify_url=ctx.notify_url,
            signed_order_sha256=str(row["document_sha256"]))
    except DependencyUnavailable:
        logger.warning("refund order not sent yet; it stays authorized for a resend")
        return {**view(row, ctx), "sent": False,
                "message": "La orden quedó firmada, pero la Tesorería no respondió; reenvíela en unos minutos."}
    now_iso = ctx.clock().isoformat(timespec="seconds")
    if answer.status == "rejected":
        _reject(code, payment_id, row, answer, ctx, now_iso)
    else:
        # Suppressed: TGR's notification closed it first (or a resend recorded it), nothing left to record.
        with contextlib.suppress(ConditionFailed):
            ctx.refunds.record_row(
                code, payment_id, refund_id, row_from=("authorized",), row_to="accepted",
                row_fields={"tgr_refund_order_id": answer.refund_order_id, "accepted_at": now_iso},
                event=event_row(code, payment_id, now_iso, "refund_accepted",
                                {"refund_id": refund_id, "refund_order_id": answer.refund_order_id}))
    return {**view(ctx.refunds.get(code, payment_id, refund_id) or row, ctx), "sent": True}


def _reject(code: str, payment_id: str, row: dict[str, Any], answer: RefundOrder, ctx: RefundsContext,
            now_iso: str) -> None:
    refund_id = str(row["refund_id"])
    # Suppressed: closed meanwhile (a retried send found it rejected already).
    with contextlib.suppress(ConditionFailed):
        ctx.refunds.close(
            code, payment_id, refund_id, row_from=("authorized",), row_to="rejected",
            row_fields={"tgr_reason": answer.reason, "closed_at": now_iso}, payment_to="refund_failed",
            event=event_row(code, payment_id, now_iso, "refund_rejected",
                            {"refund_id": refund_id, "reason": answer.reason}),
            audit=_gateway_audit(code, action="refund.rejected", target=f"{payment_id}#{refund_id}",
                            after={"reason": answer.reason}))


# -- TGR's notifications -------------------------------------------------------------------------

def handle_notification(note: dict[str, Any], ctx: RefundsContext) -> dict[str, Any]:
    """Apply one verified refund or reversal notification, once (a repeat answers `duplicate`)."""
    for _ in range(NOTIFICATION_ATTEMPTS):
        try:
            if note["type"] == "reversal":
                return _reversal(note, ctx)
            return _refund_result(note, ctx)
        except ConditionFailed:
            continue  # moved meanwhile: decide again on the new state
    raise DependencyUnavailable("El pago cambió mientras se aplicaba la notificación; intente nuevamente.",
                                code="payment_busy")


def _notified_payment(note: dict[str, Any], ctx: RefundsContext) -> tuple[str, dict[str, Any]]:
    payment_id = str(note["payment_id"])
    code = municipality_of(payment_id)
    payment = ctx.payments.get(code, payment_id)
    if payment is None:
        raise NotFound("No existe el pago notificado.", code="payment_not_found", field="payment_id")
    if payment.get("order_id") and payment["order_id"] != note["order_id"]:
        raise Conflict("La orden notificada no corresponde al pago.", code="order_mismatch", field="order_id")
    return code, payment


def _refund_result(note: dict[str, Any], ctx: RefundsContext) -> dict[str, Any]:
    code, payment = _notified_payment(note, ctx)
    payment_id = str(payment["payment_id"])
    refund_id = rules.check_refund_id(str(note.get("refund_id") or ""))
    row = ctx.refunds.get(code, payment_id, refund_id)
    if row is None:
        raise NotFound("No existe la devolución notificada.", code="refund_not_found", field="refund_id")
    if int(note["amount"]) != int(row["amount"]):
        raise Conflict("El monto notificado no corresponde a la devolución.", code="amount_mismatch",
                       field="amount")
    decision = rules.decide_refund_result(RefundStatus(row["status"]), str(note["status"]))
    if decision.new_status is None:
        if row["status"] == RefundStatus.COMPLETED.value and not _document_sent(row):
            _queue_document(code, payment_id, f"REFUND#{refund_id}", ctx)  # a retried notification finishes it
        return {"result": decision.outcome, "status": row["status"], "reason": decision.reason}
    if payment["status"] != "refund_pending" or payment.get("refund_open") != refund_id:
        # A reversal took the payment meanwhile (it returned everything): nothing left for this refund.
        logger.warning("refund notification for a payment no longer waiting for it",
                       extra={"payment_status": payment["status"]})
        return {"result": "ignored", "status": row["status"], "reason": f"payment is {payment['status']}"}
    now = ctx.clock()
    at = str(note.get("completed_at") or now.isoformat(timespec="seconds"))
    event = event_row(code, payment_id, at, f"refund_{decision.new_status.value}",
                      {"refund_id": refund_id, "notification_id": note.get("notification_id"),
                       "refund_order_id": note.get("refund_order_id"), "amount": int(note["amount"])})
    target = f"{payment_id}#{refund_id}"
    if decision.new_status is RefundStatus.FAILED:
        ctx.refunds.close(code, payment_id, refund_id, row_from=sorted(rules.IN_FLIGHT), row_to="failed",
                          row_fields={"tgr_reason": note.get("failure_reason"), "closed_at": at},
                          payment_to="refund_failed", event=event,
                          audit=_gateway_audit(code, action="refund.failed", target=target, now=now))
        return {"result": "applied", "status": "failed", "payment_status": "refund_failed",
                "reason": decision.reason}
    payment_to = rules.payment_status_after(payment, int(row["amount"]))
    reason = f"Devolución total: {REASONS[str(row['reason'])]}"
    annulment = _annulment(code, payment, [int(i) for i in row.get("items", [])], int(row["amount"]), at,
                           reason, ctx, annul_receipt=payment_to == "refunded")
    ctx.refunds.close(code, payment_id, refund_id, row_from=sorted(rules.IN_FLIGHT), row_to="completed",
                      row_fields={"completed_at": at, "tgr_refund_order_id": note.get("refund_order_id")},
                      payment_to=payment_to, refunded_amount=int(row["amount"]),
                      refunded_items=[int(i) for i in row.get("items", [])], annulment=annulment,
                      document_due=utc_key(now + DOCUMENT_RECHECK), event=event,
                      audit=_gateway_audit(code, action="refund.completed", target=target,
                                      after={"amount": int(row["amount"]), "payment_status": payment_to,
                                             "receipt_annulled": annulment.receipt_folio}, now=now))
    logger.info("refund completed", extra={"municipality": code, "payment_status": payment_to})
    _queue_document(code, payment_id, f"REFUND#{refund_id}", ctx)
    return {"result": "applied", "status": "completed", "payment_status": payment_to, "reason": decision.reason}


def _reversal(note: dict[str, Any], ctx: RefundsContext) -> dict[str, Any]:
    code, payment = _notified_payment(note, ctx)
    payment_id = str(payment["payment_id"])
    reversal_id = str(note.get("reversal_id") or "")
    if not reversal_id:
        raise InvalidInput("Falta reversal_id.", code="invalid_notification", field="reversal_id")
    recorded = ctx.refunds.reversal(code, payment_id, reversal_id)
    if recorded is not None or payment["status"] == "reversed":
        if recorded is not None and not _document_sent(recorded):
            _queue_document(code, payment_id, f"REVERSAL#{reversal_id}", ctx)  # a retried notification finishes it
        return {"result": "duplicate", "status": "reversed", "reason": "payment already reversed"}
    if payment["status"] not in rules.REVERSIBLE_PAYMENT_STATES:
        return {"result": "ignored", "status": payment["status"], "reason": f"payment is {payment['status']}"}
    now = ctx.clock()
    at = str(note.get("reversed_at") or now.isoformat(timespec="seconds"))
    done = {int(i) for i in payment.get("refunded_items", [])}
    remaining_items = [i for i in range(len(payment.get("items", []))) if i not in done]
    amount = rules.collected(payment) - rules.refunded_so_far(payment)
    reason_text = f"{REVERSAL_TEXT}: {note.get('reason')}" if note.get("reason") else REVERSAL_TEXT
    annulment = _annulment(code, payment, remaining_items, amount, at, reason_text, ctx, annul_receipt=True)
    row = ctx.refunds.reversal_row(code, payment_id, reversal_id, utc_key(now), {
        "reversal_id": reversal_id, "payment_id": payment_id, "municipality": code, "amount": amount,
        "notified_amount": int(note["amount"]), "reason_text": reason_text, "created_at": at,
        "notification_id": note.get("notification_id")})
    ctx.refunds.reverse(
        code, payment_id, row, payment_from=str(payment["status"]), annulment=annulment,
        document_due=utc_key(now + DOCUMENT_RECHECK),
        event=event_row(code, payment_id, at, "reversed", {"reversal_id": reversal_id, "amount": int(note["amount"]),
                                                          "notification_id": note.get("notification_id")}),
        audit=_gateway_audit(code, action="payment.reversed", target=payment_id,
                        before={"status": payment["status"]},
                        after={"status": "reversed", "amount": amount, "receipt_annulled": annulment.receipt_folio},
                        now=now))
    logger.warning("payment reversed by the gateway", extra={"municipality": code})
    _queue_document(code, payment_id, f"REVERSAL#{reversal_id}", ctx)
    return {"result": "applied", "status": "reversed", "reason": "reversal notified by the gateway"}


# -- annulment -----------------------------------------------------------------------------------

def _document_sent(row: dict[str, Any]) -> bool:
    return (row.get("document_email") or {}).get("status") in ("sent", "failed")


def _queue_document(code: str, payment_id: str, row_sk: str, ctx: RefundsContext) -> None:
    """Queue the annulment document (or credit note) of a completed refund or reversal. A failure
    to queue is logged: the row is in the annulment outbox until its e-mail is settled, and the
    sweep queues it again at its recheck time (`annulments.sweep`); a repeated TGR notification
    queues it at once."""
    from chalicelib.services.annulments import job

    if ctx.jobs is None:
        return
    try:
        ctx.jobs.send(job(code, payment_id, row_sk))
    except DependencyUnavailable:
        logger.warning("annulment document not queued; a repeated notification queues it again")

def _annulment(code: str, payment: dict[str, Any], item_indexes: list[int], amount: int, at: str, reason: str,
               ctx: RefundsContext, *, annul_receipt: bool) -> Annulment:
    """What returning the money of `item_indexes` undoes: the holds still this payment's (the
    permit or debt is payable again), the debts it paid, the receipt (a whole return), and the
    counters of a payment that was counted as paid."""
    payment_id = str(payment["payment_id"])
    lines = payment.get("items", [])
    holds: list[HoldRef] = []
    debts: list[str] = []
    by_service: dict[str, int] = defaultdict(int)
    plates: dict[str, dict[str, dict[str, Any]]] = {}  # a plate's permit holds, read once, as stored now
    for index in item_indexes:
        if index >= len(lines):
            continue
        item = lines[index]
        owner = PLATFORM if item.get("type") == "permit" else code
        for key in item.get("holds", []):
            if item.get("type") == "permit" and item.get("plate"):
                plate = str(item["plate"])
                if plate not in plates:
                    plates[plate] = ctx.payments.permit_holds(plate, consistent=True)
                hold = plates[plate].get(key) or {}
            else:
                hold = ctx.payments.hold((owner, key)) or {}
            # A hold another payment took (a payment in review for a lost item) is not ours to annul.
            if hold.get("payment_id") == payment_id and hold.get("status") in ("paid", "review"):
                holds.append((owner, key))
        if item.get("debt_id"):
            debts.append(str(item["debt_id"]))
        by_service[str(item.get("service", "otro"))] += int(item.get("amount", 0))
    debts = [d for d in debts if _debt_paid_by(code, d, payment_id, ctx)]
    seconds = [d for d in (second_installment_of(lines[i]) for i in item_indexes if i < len(lines)) if d]
    # A second installment paid meanwhile stays (and the refund was refused while it was paid);
    # only the unpaid one this payment created goes.
    seconds = [d for d in seconds if _second_installment(code, d, payment_id, ctx).get("status") == "open"]
    # Only payments that went through `paid` were added to the counters (gateway._mark_paid); a
    # payment in review never was.
    counted = went_through_paid(payment)
    if counted and sum(by_service.values()) != amount:
        by_service = _prorate(by_service, amount)
    folio = None
    receipt = receipt_allocation(payment) or {}
    if annul_receipt and receipt.get("folio"):
        record = ctx.receipts.get(code, str(receipt["folio"])) or {}
        folio = str(receipt["folio"]) if record.get("status") == "issued" else None
    day = at[:10]
    return Annulment(at=at, reason=reason, holds=holds, debts=debts, receipt_folio=folio, day=day,
                     by_service=dict(by_service) if counted else {}, second_installments=seconds)


def _second_installment(code: str, debt_id: str, payment_id: str, ctx: RefundsContext) -> dict[str, Any]:
    """The second-installment debt `payment_id` created, or {} (none, or another payment's)."""
    debt = ctx.debts.get(code, debt_id) or {}
    return debt if debt.get("created_by_payment") == payment_id else {}


def _refuse_if_second_installment_paid(code: str, payment: dict[str, Any], item_indexes: Sequence[int],
                                       ctx: RefundsContext) -> None:
    """A first installment whose second one is already paid is not returned alone: the permit
    would stand half paid. The second installment's payment is refunded first."""
    lines = payment.get("items", [])
    for index in item_indexes:
        if index >= len(lines):
            continue
        debt_id = second_installment_of(lines[index])
        if debt_id is None:
            continue
        debt = _second_installment(code, debt_id, str(payment["payment_id"]), ctx)
        if debt.get("status") == "paid":
            item = lines[index]
            raise RuleRefused(
                f"La segunda cuota del permiso {item.get('plate')} {item.get('year')} ya está pagada "
                f"(pago {debt.get('paid_by')}): devuelva primero ese pago y luego la primera cuota.",
                code="second_installment_paid", field="items")


def _prorate(by_service: dict[str, int], amount: int) -> dict[str, int]:
    """The returned amount spread over services as the items were (a review payment's whole return)."""
    total = sum(by_service.values()) or 1
    shares = {s: amount * a // total for s, a in by_service.items()}
    first = next(iter(shares), "otro")
    shares[first] = shares.get(first, 0) + amount - sum(shares.values())
    return shares


def _debt_paid_by(code: str, debt_id: str, payment_id: str, ctx: RefundsContext) -> bool:
    debt = ctx.debts.get(code, debt_id)
    return bool(debt and debt.get("status") == "paid" and debt.get("paid_by") == payment_id)
