"""The document that tells the citizen money went back (docs/refunds.md, "Comprobante de anulación"):
for a whole refund or a reversal a comprobante de anulación (the receipt no longer proves payment),
for a partial refund a nota de crédito. Its own folio series, signed by the municipality's
designated receipt signer (unattended, as receipts are), stored beside the receipts and e-mailed to
the payer. A job of the receipts queue (`{"kind": "annulment", …}`) runs it; every step repeats
safely (folio once per refund, stored PDF reused, e-mail under a lease: never sent again while a
claimed send is in flight or of unknown outcome, docs/refunds.md)."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.annulments_repo import AnnulmentRepository
from chalicelib.adapters.payments_repo import PaymentRepository, event_row
from chalicelib.documents.emails import annulment_email
from chalicelib.domain.errors import ConditionFailed, DependencyUnavailable
from chalicelib.domain.labels import display_name
from chalicelib.domain.payments import utc_key
from chalicelib.domain.personal_data import mask_rut
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.domain.refunds import REASONS
from chalicelib.observability import logger
from chalicelib.services.receipt_jobs import annulment_job
from chalicelib.services.receipts import MailerPort, Municipalities, ObjectStorePort, SignerPort

EMAIL_LEASE = timedelta(minutes=5)


class JobSender(Protocol):
    """The receipts queue, as the sweep sends to it."""

    def send(self, job: Mapping[str, Any], *, delay_s: int = ...) -> str: ...


@dataclass
class AnnulmentsContext:
    payments: PaymentRepository
    annulments: AnnulmentRepository
    municipalities: Municipalities
    store: ObjectStorePort
    signer: SignerPort
    mailer: MailerPort
    clock: Callable[[], datetime]


def job(code: str, payment_id: str, row_sk: str) -> dict[str, str]:
    """The queue message that issues the document of one completed refund or reversal."""
    return annulment_job(code, payment_id, row_sk)


def sweep(code: str, ctx: AnnulmentsContext, jobs: JobSender, recheck: timedelta) -> int:
    """The scheduled step for one municipality: queue again the document jobs of refunds and
    reversals whose document is unsettled at their recheck time (the job was never queued, or
    ended in the dead-letter queue), and move each to its next recheck. Returns how many."""
    now = ctx.clock()
    queued = 0
    for payment_id, row_sk in ctx.annulments.due_documents(code, utc_key(now)):
        try:
            jobs.send(job(code, payment_id, row_sk))
        except DependencyUnavailable:
            logger.warning("annulment document not queued; the next sweep retries")
            break
        # Settled in between (the mark is gone): fine, the job finds the document already sent.
        with contextlib.suppress(ConditionFailed):
            ctx.annulments.postpone(code, payment_id, row_sk, due=utc_key(now + recheck))
        queued += 1
    return queued


def issue_annulment(code: str, payment_id: str, row_sk: str, ctx: AnnulmentsContext) -> str:
    """Bring the document of the refund or reversal `row_sk` to completion; what happened, for the log."""
    row = ctx.annulments.row(code, payment_id, row_sk)
    payment = ctx.payments.get(code, payment_id)
    if row is None or payment is None:
        logger.error("annulment job for an unknown refund; dropped", extra={"outcome": "unknown"})
        return "unknown"
    if row.get("kind") == "refund" and row.get("status") != "completed":
        return "not_completed"
    if (row.get("document_email") or {}).get("status") in ("sent", "failed"):
        return "already_complete"
    config = ctx.municipalities.get(code)
    if config is None:
        raise DependencyUnavailable("La municipalidad del pago no está configurada.", code="municipality_missing",
                                    retryable=False)
    whole = row.get("kind") == "reversal" or bool(row.get("whole")) or payment.get("status") == "refunded"
    allocation = row.get("document") or _allocate(code, payment_id, row_sk, row, ctx)
    pdf = _stored_or_new_pdf(code, payment, row, allocation, whole, config, ctx)
    return _deliver(code, payment, row_sk, allocation, whole, config, pdf, ctx)


def _allocate(code: str, payment_id: str, row_sk: str, row: dict[str, Any], ctx: AnnulmentsContext
              ) -> dict[str, Any]:
    now = ctx.clock()
    allocation = ctx.annulments.allocate(code, payment_id, row_sk, year=now.year,
                                         issued_at=now.isoformat(timespec="seconds"),
                                         data={"amount": int(row["amount"]), "issued_at": now.isoformat()})
    if allocation is None:  # a twin job allocated first
        again = ctx.annulments.row(code, payment_id, row_sk) or {}
        if not again.get("document"):
            raise DependencyUnavailable("La devolución cambió durante la emisión; se reintentará.",
                                        code="refund_changed")
        return dict(again["document"])
    return allocation


def _stored_or_new_pdf(code: str, payment: dict[str, Any], row: dict[str, Any], allocation: dict[str, Any],
                       whole: bool, config: dict[str, Any], ctx: AnnulmentsContext) -> bytes:
    from chalicelib.documents.refund_pdfs import annulment_pdf

    key = str(allocation["key"])
    if ctx.store.exists(key):
        return ctx.store.get(key)
    lines = payment.get("items", [])
    indexes = [int(i) for i in row.get("items", [])] if row.get("kind") == "refund" else \
        [i for i in range(len(lines)) if i not in {int(n) for n in payment.get("refunded_items", [])}]
    reason = row.get("reason_text") if row.get("kind") == "reversal" else REASONS.get(str(row.get("reason")), "")
    payer = payment.get("payer") or {}
    receipt = issued_receipt(payment) or {}
    document = {"folio": allocation["folio"], "whole": whole, "receipt_folio": receipt.get("folio"),
                "payment_id": payment["payment_id"], "payer": f"{payer.get('name', '')} ({mask_rut(payer.get('rut'))})",
                "reason": reason, "at": str(row.get("completed_at") or row.get("created_at") or "")[:19],
                "amount": int(row["amount"]),
                "items": [{"description": lines[i].get("description", ""), "amount": lines[i].get("amount", 0)}
                          for i in indexes if i < len(lines)]}
    pdf = annulment_pdf(document, municipality=display_name(config),
                        generated_at=ctx.clock().strftime("%d-%m-%Y %H:%M"))
    signed = ctx.signer.sign(pdf, code=code, config=config)
    ctx.store.put(key, signed, content_type="application/pdf", metadata={"folio": str(allocation["folio"])})
    return signed


def _deliver(code: str, payment: dict[str, Any], row_sk: str, allocation: dict[str, Any], whole: bool,
             config: dict[str, Any], pdf: bytes, ctx: AnnulmentsContext) -> str:
    payment_id = str(payment["payment_id"])
    now = ctx.clock()
    attempt_id = secrets.token_hex(8)
    if not ctx.annulments.claim_email(code, payment_id, row_sk, attempt_id=attempt_id, now_key=utc_key(now),
                                      lease_until=utc_key(now + EMAIL_LEASE)):
        raise DependencyUnavailable("Otro proceso está enviando este documento; se reintentará.",
                                    code="email_in_progress")
    folio = str(allocation["folio"])
    title = "Comprobante de anulación" if whole else "Nota de crédito"
    try:
        message = annulment_email(payment, config, pdf, folio, title)
        message_id = ctx.mailer.send(message)
    except DependencyUnavailable as exc:
        if exc.code == "email_outcome_unknown":
            # SES may have accepted it: the claim stays held until its lease ends (never "retry",
            # which another job would claim at once and send a second e-mail).
            state = {"status": "unknown", "reason_code": exc.code, "attempt_id": attempt_id,
                     "lease_until": utc_key(now + EMAIL_LEASE), "at": utc_key(now)}
        else:
            state = {"status": "retry" if exc.retryable else "failed", "reason_code": exc.code,
                     "attempt_id": attempt_id}
        ctx.annulments.record_email(code, payment_id, row_sk, attempt_id=attempt_id, state=state)
        if exc.retryable:
            raise
        return "email_failed"
    _record_sent(code, payment_id, row_sk, attempt_id, ctx,
                 state={"status": "sent", "message_id": message_id, "attempt_id": attempt_id, "at": utc_key(now)},
                 event=event_row(code, payment_id, now.isoformat(timespec="seconds"), "annulment_emailed",
                                 {"folio": folio, "message_id": message_id}))
    logger.info("annulment document e-mailed", extra={"folio": folio})
    return "sent"


_RECORD_RETRIES_S = (0.2, 0.5, 1.0)


def _record_sent(code: str, payment_id: str, row_sk: str, attempt_id: str, ctx: AnnulmentsContext, *,
                 state: dict[str, Any], event: dict[str, Any]) -> None:
    """SES has accepted the e-mail: record it, retrying here (not by redelivery, which would wait
    out the lease and send it again) through a short database hiccup."""
    for pause in (*_RECORD_RETRIES_S, None):
        try:
            ctx.annulments.record_email(code, payment_id, row_sk, attempt_id=attempt_id, state=state, event=event)
            return
        except DependencyUnavailable:
            if pause is None:
                logger.error("annulment e-mail sent but not recorded; after the lease it may be sent again")
                raise
            time.sleep(pause)
