"""TGR's notifications: verified, applied once through the payment state machine, and — for an
approved payment — the receipt job queued as part of the same step (transactional outbox)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.adapters.payments_repo import HoldRef, event_row
from chalicelib.domain import webhook_signature
from chalicelib.domain.errors import ConditionFailed, Conflict, DependencyUnavailable, NotFound
from chalicelib.domain.payments import (
    NotificationDecision,
    NotifiedStatus,
    PaymentStatus,
    decide_notification,
    municipality_of,
    second_installment_of,
    utc_key,
)
from chalicelib.observability import logger
from chalicelib.services.payments import PaymentContext
from chalicelib.services.permit_items import PLATFORM
from chalicelib.services.receipt_jobs import receipt_job


def verify_signature(header: str | None, raw_body: bytes, secrets: Sequence[str], now: datetime) -> None:
    webhook_signature.verify(header, raw_body, secrets, now=int(now.timestamp()))


# A notification re-decides on the payment's new state when another writer moved it first (another
# notification, the expiry sweep). A few rounds settle any real race; past them the answer is a
# 503, which TGR retries, instead of recursing without end.
NOTIFICATION_ATTEMPTS = 3
_CHECK_FAILED = "ConditionalCheckFailed"
LOST_ITEM_REASON = "approved, but an item was taken by another payment in the meantime"


class _PaymentMoved(Exception):
    """The payment was not in the state the notification was decided on (internal)."""


def handle_notification(notification: dict[str, Any], ctx: PaymentContext) -> dict[str, Any]:
    """Apply one (verified) notification; says whether it changed the payment.

    The first round reads the payment eventually consistent (half the units): the transaction's
    condition on the status it leaves is the guard, not the read. A stale read can only show an
    earlier state of the payment: a write decided on it fails its condition and the next round
    decides again on a strongly consistent read (so TGR's repeat of an applied approval still
    answers 200 `paid`); an answer that writes nothing is one the state read really had, and no
    state that answers without a write is ever followed by one where the same notification
    writes (pending comes first; rejected, expired and cancelled are left only to review). What a
    stale read could lack — the record itself just after its creation, its order — is read again
    strongly before the answer depends on it."""
    for attempt in range(NOTIFICATION_ATTEMPTS):
        try:
            return _apply_notification(notification, ctx, consistent=attempt > 0)
        except _PaymentMoved:
            continue
    logger.warning("notification not applied: the payment kept changing", extra={"attempts": NOTIFICATION_ATTEMPTS})
    raise DependencyUnavailable("El pago cambió mientras se aplicaba la notificación; intente nuevamente.",
                                code="payment_busy")


def _apply_notification(notification: dict[str, Any], ctx: PaymentContext, *, consistent: bool) -> dict[str, Any]:
    payment_id = notification["payment_id"]
    code = municipality_of(payment_id)
    logger.append_keys(municipality=code, payment_id=payment_id)
    payment = ctx.payments.get(code, payment_id, consistent=consistent)
    if not consistent and (payment is None or not payment.get("order_id")):
        payment = ctx.payments.get(code, payment_id, consistent=True)
    if payment is None:
        raise NotFound("No existe el pago notificado.", code="payment_not_found", field="payment_id")
    if payment.get("order_id") and payment["order_id"] != notification["order_id"]:
        raise Conflict("La orden notificada no corresponde al pago.", code="order_mismatch", field="order_id")
    current = PaymentStatus(payment["status"])
    notified = NotifiedStatus(notification["status"])
    decision = decide_notification(current, notified, amount_matches=int(notification["amount"]) == payment["amount"])
    now_iso = ctx.clock().isoformat(timespec="seconds")
    if decision.new_status is None:
        if current is PaymentStatus.PAID and ctx.payments.receipt_job_is_due(payment, utc_key(ctx.clock())):
            _queue_receipt(code, payment_id, ctx, move_mark=True)  # a retried notification finishes the step
        logger.info("notification changed nothing", extra={"outcome": decision.outcome})
        return {"result": decision.outcome, "status": current.value, "reason": decision.reason}
    new_status = decision.new_status
    holds = _holds_of(payment)
    try:
        _write(decision, current, payment, notification, holds, ctx, now_iso)
    except ConditionFailed as exc:
        lost = _lost_holds(exc, holds)
        if lost is None:  # the payment itself moved first: decide again on its new state
            raise _PaymentMoved from exc
        # A hold (or a debt) of this payment is another payment's now: its hold had expired and
        # was taken before the sweep expired this one. Money came in for an item someone else
        # holds, so a person decides (review); only the holds still this payment's change.
        if new_status is PaymentStatus.PAID:
            new_status = PaymentStatus.REVIEW
            decision = NotificationDecision("applied", new_status, LOST_ITEM_REASON)
        kept = [hold for hold in holds if hold not in lost]
        try:
            _write(decision, current, payment, notification, kept, ctx, now_iso)
        except ConditionFailed as again:
            raise _PaymentMoved from again
    if new_status is PaymentStatus.PAID:
        _queue_receipt(code, payment_id, ctx)
    logger.info("notification applied", extra={"new_status": new_status.value})
    return {"result": "applied", "status": new_status.value, "reason": decision.reason}


def _write(decision: NotificationDecision, current: PaymentStatus, payment: dict[str, Any],
           notification: dict[str, Any], holds: list[HoldRef], ctx: PaymentContext, now_iso: str) -> None:
    """The one conditional transaction that moves the payment as `decision` says."""
    code, payment_id = payment["municipality"], payment["payment_id"]
    notified = NotifiedStatus(notification["status"])
    if decision.new_status is PaymentStatus.PAID:  # its record says what the notification did
        _mark_paid(payment, notification, holds, ctx, now_iso)
        return
    event = event_row(code, payment_id, now_iso, f"gateway_{notified.value}", {
        "notification_id": notification.get("notification_id"), "order_id": notification["order_id"],
        "amount": notification["amount"], "method": notification.get("method"),
        "authorization_code": notification.get("authorization_code"), "paid_at": notification.get("paid_at"),
        "decision": decision.reason})
    if decision.new_status is PaymentStatus.REJECTED:
        ctx.payments.close(code, payment_id, from_status=current.value, to_status="rejected", at=now_iso,
                           event_kind=event["type"], detail=event["detail"], holds=holds, event=event)
    else:  # review
        ctx.payments.to_review(
            code, payment_id, from_status=current.value, reason=decision.reason,
            fields={"gateway_amount": int(notification["amount"]), "method": notification.get("method"),
                    "paid_at": notification.get("paid_at")}, event=event, holds=holds)


def _lost_holds(exc: ConditionFailed, holds: list[HoldRef]) -> list[HoldRef] | None:
    """Which of `holds` failed their condition in the cancelled transaction, or ``None`` when the
    payment's own condition failed (or the reasons cannot tell). The transaction's operations are
    the payment, then its holds in order, then the rest (`PaymentRepository.transition`)."""
    reasons = exc.reasons
    if len(reasons) < 1 + len(holds) or reasons[0] == _CHECK_FAILED:
        return None
    return [hold for hold, reason in zip(holds, reasons[1:1 + len(holds)], strict=True) if reason == _CHECK_FAILED]


def _holds_of(payment: dict[str, Any]) -> list[HoldRef]:
    refs: list[HoldRef] = []
    for item in payment["items"]:
        owner = PLATFORM if item["type"] == "permit" else payment["municipality"]
        refs += [(owner, key) for key in item["holds"]]
    return refs


def _mark_paid(payment: dict[str, Any], notification: dict[str, Any], holds: list[HoldRef], ctx: PaymentContext,
               now_iso: str) -> None:
    payment_id = payment["payment_id"]
    paid_debts = [str(item["debt_id"]) for item in payment["items"] if item.get("debt_id")]
    new_debts = []
    for item in payment["items"]:
        second_id = second_installment_of(item)
        if second_id is not None:
            new_debts.append({
                "debt_id": second_id, "type": "permit_second", "rut": item["owner_rut"],
                "plate": item["plate"], "year": item["year"], "status": "open", "due_date": f"{item['year']}-08-31",
                "description": f"Permiso de circulación {item['year']}, {item['plate']}, segunda cuota",
                "period": f"{item['year']}-C2", "created_by_payment": payment_id})
    ctx.payments.mark_paid(
        payment, paid_at=str(notification.get("paid_at") or now_iso), method=str(notification.get("method") or
                                                                                 "desconocido"),
        authorization_code=notification.get("authorization_code"), order_id=notification["order_id"],
        at=now_iso,
        outbox_due_key=utc_key(ctx.clock() + min(ctx.receipt_grace, ctx.receipt_recheck)),
        holds=holds, paid_debts=paid_debts, new_debts=new_debts)


def _queue_receipt(code: str, payment_id: str, ctx: PaymentContext, *, move_mark: bool = False) -> None:
    """Send the receipt job. The outbox mark was set a short grace ahead with `paid`, so a job sent
    right away costs no write; a failure to send makes the mark due now. A later send (the sweep,
    or TGR's retry of the notification, once the mark is due) moves the mark to the next recheck
    time. The mark stays until the e-mail is settled (`ReceiptRepository.record_email` removes
    it), so a job that never finished — dead-lettered after its retries, or never sent because the
    process died — is queued again, without an operator."""
    try:
        ctx.receipts_queue.send(receipt_job(code, payment_id))
    except DependencyUnavailable:
        logger.warning("receipt job not queued yet; the outbox sweep will retry")
        with contextlib.suppress(ConditionFailed):  # settled in between: nothing is due
            ctx.payments.make_receipt_job_due(code, payment_id, due_key=utc_key(ctx.clock()))
        raise
    if move_mark:
        # Settled in between (the mark is gone), fine: the worker is idempotent, a second job is harmless.
        with contextlib.suppress(ConditionFailed):
            ctx.payments.queue_receipt(code, payment_id, recheck_key=utc_key(ctx.clock() + ctx.receipt_recheck))


def sweep(code: str, ctx: PaymentContext) -> dict[str, int]:
    """The scheduled step for one municipality: expire pending payments past their time, and
    queue receipt jobs a crash left unqueued or that are still unfinished at their recheck time."""
    now = ctx.clock()
    now_iso = now.isoformat(timespec="seconds")
    expired = 0
    for payment_id in ctx.payments.due_pending(code, utc_key(now)):
        payment = ctx.payments.get(code, payment_id)
        if payment is None or payment["status"] != "pending":
            continue
        try:
            ctx.payments.expire(code, payment_id, at=now_iso, expires_at=payment["expires_at"],
                                holds=_holds_of(payment))
            expired += 1
        except ConditionFailed:
            continue  # a notification moved it first
    queued = 0
    for payment_id in ctx.payments.unqueued_receipts(code, utc_key(now)):
        try:
            _queue_receipt(code, payment_id, ctx, move_mark=True)
            queued += 1
        except DependencyUnavailable:
            break
    return {"expired": expired, "receipts_queued": queued}


