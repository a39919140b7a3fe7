"""Issue a paid payment's receipt: folio, signed PDF in S3, e-mail — each step once.

`issue_receipt` is what the receipts worker runs for one job. SQS delivers at least once and a
step can fail half-way, so every step first looks at what the payment already records and does
only what is missing, with a conditional write that makes a concurrent twin give way:

1. folio — `receipt_issue` on the payment, allocated in one transaction with the municipality's
   yearly counter (`ReceiptRepository.allocate_folio`);
2. PDF — built, signed (one KMS call) and stored at `<cut>/receipts/<year>/<folio>.pdf` unless that
   object exists already (then the stored bytes are reused, so the e-mail carries the same file);
3. issued — the receipt record written, issued, with the stored PDF's SHA-256 (what
   `GET /v1/receipts/verify` answers, `services/verification.py`); the payment shows the receipt
   (`receipt_issue.signed_at`, what `GET /v1/payments/{id}` reads through
   `domain/receipt_state.issued_receipt`) from the e-mail's claim, which writes it;
4. e-mail — claimed with a lease on the payment's `email` attribute, sent once through SES, settled
   as `sent` or `failed` (permanent refusals are recorded, not retried); every attempt not sent is
   kept as an `EMAIL#…` row, a sent one is its settled state (officials see both,
   `domain/receipt_state.email_attempts`). An earlier attempt whose outcome is unknown (its worker died
   after SES's answer, or the answer was lost) is settled from SES's own events for it, and sent
   again only when none arrived within the grace period (docs/email-events.md).

The steps' events (`receipt_issued`, `receipt_emailed`, `receipt_email_failed`) are what the
record's fields imply (`domain/payment_history.py`), not rows of their own.

The receipt is issued (step 3) before the e-mail is tried: a citizen whose address bounces can
still download and verify it. The residual duplicate-e-mail window is described in
docs/receipts.md. Heavy libraries (reportlab, pyHanko, Jinja2) are imported inside functions.

This module is the pipeline only: the codes are `domain/receipt_codes.py`, what the receipt says
`documents/receipt_content.py`, its e-mail `documents/emails.py`, its signer and the logos
`adapters/receipt_signer.py` and `adapters/municipal_logos.py`, and its verification
`services/verification.py`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.adapters.receipt_signer import SigningRefused, designated_official
from chalicelib.adapters.receipts_repo import FolioRequest, ReceiptRepository
from chalicelib.documents.emails import receipt_email
from chalicelib.documents.receipt_content import receipt_document
from chalicelib.domain.email_message import OutgoingEmail
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.payments import utc_key
from chalicelib.domain.receipt_codes import code_hash, new_verification_code
from chalicelib.domain.receipt_state import issued_receipt, receipt_allocation
from chalicelib.domain.signature_kinds import SignatureKind
from chalicelib.observability import logger

TOKEN_FRAGMENT = "t"  # noqa: S105 - the name of a URL fragment parameter, not a secret
"""The QR's URL carries the signed token in its fragment (`#t=…`): a phone opening it never sends it."""


# -- ports ----------------------------------------------------------------------------------------

class Municipalities(Protocol):
    def get(self, code: str) -> dict[str, Any] | None: ...

    def current(self, code: str, *, max_age_s: float = 0.0) -> dict[str, Any] | None: ...


class ObjectStorePort(Protocol):
    def get(self, key: str) -> bytes: ...

    def put(self, key: str, body: bytes, *, content_type: str, metadata: dict[str, str] | None = None) -> None: ...

    def exists(self, key: str) -> bool: ...


class MailerPort(Protocol):
    def send(self, message: OutgoingEmail) -> str: ...


class SignerPort(Protocol):
    kind: SignatureKind
    """What the signatures it makes are (the legend printed before signing says so)."""

    def sign(self, pdf: bytes, *, code: str, config: Mapping[str, Any], description: str = ...) -> bytes: ...

    def kind_of(self, pdf: bytes) -> SignatureKind: ...


class LogoPort(Protocol):
    def logo(self, code: str) -> bytes | None: ...


class EmailEventsPort(Protocol):
    def of_payment(self, code: str, payment_id: str, attempt_id: str | None = None) -> list[dict[str, Any]]: ...

    def is_suppressed(self, code: str, address: str, *, consistent: bool = True) -> bool: ...


class TokenSignerPort(Protocol):
    def sign(self, code: str, claims: Mapping[str, Any]) -> str: ...


@dataclass
class ReceiptContext:
    """Everything issuing a receipt needs (built by `chalicelib.wiring.receipt_context`)."""

    payments: PaymentRepository
    receipts: ReceiptRepository
    municipalities: Municipalities
    store: ObjectStorePort
    """The receipts bucket."""
    logos: LogoPort
    signer: SignerPort
    mailer: MailerPort
    clock: Callable[[], datetime]
    """Timezone-aware now (Chile's zone): receipts print local time."""
    public_api_url: str
    email_lease: timedelta
    """How long a claim to send an e-mail holds; longer than the worker's timeout."""
    default_signer_run: str
    email_events: EmailEventsPort | None = None
    """SES's recorded events per payment and the complaint suppression list."""
    email_events_grace: timedelta = timedelta(seconds=300)
    """How long after an unknown attempt's lease (or lost answer) its SES events may take."""
    tokens: TokenSignerPort | None = None
    """Signs the offline-verifiable token the QR carries (`signing/receipt_tokens.py`); None: URL only."""


CONFIG_MAX_AGE_S = 5.0
"""How old the municipality's configuration a receipt is issued with may be (see `issue_receipt`)."""


# -- the pipeline ---------------------------------------------------------------------------------

def issue_receipt(code: str, payment_id: str, ctx: ReceiptContext) -> str:
    """Bring the payment's receipt to completion; returns what happened (for the log).

    Raises `DependencyUnavailable` (retryable) when a dependency failed or the payment is not paid
    yet: the job is then retried. A payment that does not exist or can never have a receipt is
    logged and the job is done.
    """
    payment = ctx.payments.get(code, payment_id)
    if payment is None:
        logger.error("receipt job for a payment that does not exist; dropped", extra={"outcome": "unknown_payment"})
        return "unknown_payment"
    if payment["status"] == "pending":
        raise DependencyUnavailable("El pago aún no está confirmado; se reintentará.", code="payment_not_paid_yet")
    if payment["status"] != "paid":
        logger.warning("receipt job for a payment that is not paid; nothing to issue",
                       extra={"outcome": "not_paid", "status": payment["status"]})
        return "not_paid"
    email_done = (payment.get("email") or {}).get("status") in ("sent", "failed")
    if issued_receipt(payment) and email_done:
        return "already_complete"

    # Not the API's 60-second cache: the receipt carries the look, sender and signer the municipality
    # has when it is issued, give or take CONFIG_MAX_AGE_S — a change shows on the receipts issued a
    # few seconds later. At the peak a worker issues many receipts of a municipality within those
    # seconds, so they share one read; a consistent read for each would gain no real precision (a
    # change can land while the receipt is being signed anyway).
    config = ctx.municipalities.current(code, max_age_s=CONFIG_MAX_AGE_S)
    if config is None:
        raise DependencyUnavailable("La municipalidad del pago no está configurada.", code="municipality_missing",
                                    retryable=False)
    allocation = receipt_allocation(payment) or _allocate(code, payment_id, payment, ctx)
    pdf: bytes | None = None
    signed_at: str | None = None
    if issued_receipt(payment) is None:
        try:
            pdf = _stored_or_new_pdf(code, payment, allocation, config, ctx)
        except SigningRefused as exc:  # sent again it would be refused again: the sweep re-queues it
            logger.error("receipt signature refused", extra={"outcome": "signing_refused", "reason_code": exc.code})
            return "signing_refused"
        signed_at = _mark_issued(code, payment, allocation, config, ctx,
                                 document_sha256=hashlib.sha256(pdf).hexdigest(), kind=ctx.signer.kind_of(pdf))
    if email_done:
        if signed_at:  # a settled e-mail always followed a claim that showed the receipt; just in case
            ctx.receipts.show_issued(code, payment_id, signed_at=signed_at)
        return "issued"
    if pdf is None:
        pdf = ctx.store.get(str(allocation["key"]))
    return _deliver(code, payment, allocation, config, pdf, ctx, signed_at=signed_at)


def _allocate(code: str, payment_id: str, payment: Mapping[str, Any], ctx: ReceiptContext) -> dict[str, Any]:
    issued_at = ctx.clock()
    verification = new_verification_code()
    request = FolioRequest(year=issued_at.year, verification_code=verification,
                           issued_at=issued_at.isoformat(timespec="seconds"), amount=int(payment["amount"]))
    allocation = ctx.receipts.allocate_folio(code, payment_id, request)
    if allocation is None:  # a twin delivery allocated first: use its folio
        allocation = receipt_allocation(ctx.payments.get(code, payment_id) or {})
        if allocation is None:
            raise DependencyUnavailable("El pago cambió durante la emisión; se reintentará.", code="payment_changed")
        return allocation
    logger.info("receipt folio allocated", extra={"folio": allocation["folio"]})
    return allocation


def _stored_or_new_pdf(code: str, payment: Mapping[str, Any], allocation: Mapping[str, Any],
                       config: Mapping[str, Any], ctx: ReceiptContext) -> bytes:
    key = str(allocation["key"])
    if ctx.store.exists(key):
        return ctx.store.get(key)  # stored by an earlier attempt: the e-mail attaches that very file
    from chalicelib.documents.receipt_pdf import build_receipt_pdf

    # Eventually consistent (half the units): the item rows were written once, with the payment,
    # long before it was paid.
    items = ctx.payments.items(code, str(payment["payment_id"]), consistent=False)
    document = receipt_document(payment, items, config, allocation, ctx.logos.logo(code), ctx.public_api_url)
    if ctx.tokens is not None:
        token = ctx.tokens.sign(code, receipt_token_claims(payment, allocation))
        document = replace(document, qr_payload=f"{document.verify_url}#{TOKEN_FRAGMENT}={token}")
    document = replace(document, signature_note=ctx.signer.kind.legend())  # what signs it, no more
    signed = ctx.signer.sign(build_receipt_pdf(document), code=code, config=config,
                             description=f"comprobante-{allocation['folio']}.pdf")
    ctx.store.put(key, signed, content_type="application/pdf",
                  metadata={"folio": str(allocation["folio"]), "payment-id": str(payment["payment_id"])})
    logger.info("receipt stored", extra={"folio": allocation["folio"], "bytes": len(signed)})
    return signed


def receipt_token_claims(payment: Mapping[str, Any], allocation: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of the token in a receipt's QR (`signing/receipt_tokens.receipt_claims`)."""
    from chalicelib.domain.verification import installment_valid_until
    from chalicelib.signing.receipt_tokens import receipt_claims

    permits = []
    for item in payment.get("items", []):
        if item.get("type") == "permit":
            until = installment_valid_until(int(item["year"]), str(item["installment"]))
            permits.append((str(item["plate"]), int(item["year"]), str(item["installment"]),
                            until.isoformat() if until else ""))
    return receipt_claims(folio=str(allocation["folio"]), municipality=str(payment["municipality"]),
                          issued_on=str(allocation["issued_at"])[:10], amount=int(payment["amount"]), permits=permits)


def _mark_issued(code: str, payment: Mapping[str, Any], allocation: Mapping[str, Any], config: Mapping[str, Any],
                 ctx: ReceiptContext, *, document_sha256: str, kind: SignatureKind) -> str:
    """Write the issued receipt record; returns the time to show the receipt on the payment with."""
    official, role = designated_official(config, ctx.default_signer_run)
    now_iso = ctx.clock().isoformat(timespec="seconds")
    signature = {"status": "signed", "format": "PAdES B-B", "signer": official.name, "role": role,
                 "signed_at": now_iso, **kind.record()}
    folio = str(allocation["folio"])
    if not ctx.receipts.mark_issued(code, str(payment["payment_id"]), allocation, amount=int(payment["amount"]),
                                    code_hash=code_hash(folio, str(allocation["verification_code"])),
                                    signature=signature, document_sha256=document_sha256):
        logger.warning("receipt record annulled meanwhile; left as it is", extra={"folio": folio})
    return now_iso


# -- the e-mail ---------------------------------------------------------------------------------------

_RECORD_RETRIES_S = (0.2, 0.5, 1.0)


def _deliver(code: str, payment: Mapping[str, Any], allocation: Mapping[str, Any], config: Mapping[str, Any],
             pdf: bytes, ctx: ReceiptContext, *, signed_at: str | None = None) -> str:
    payment_id = str(payment["payment_id"])
    previous = payment.get("email") or {}
    now = ctx.clock()
    now_key = utc_key(now)
    if _outcome_unknown(previous, now_key):
        settled = _settle_from_events(code, payment, allocation, previous, ctx)
        if settled is not None:
            return settled
    attempts = int(previous.get("attempts", 0)) + 1
    attempt_id = secrets.token_hex(8)
    if not ctx.receipts.claim_email(code, payment_id, attempt_id=attempt_id, now_key=now_key,
                                    lease_until=utc_key(now + ctx.email_lease), attempts=attempts,
                                    signed_at=signed_at):
        again = ctx.payments.get(code, payment_id) or {}
        if signed_at and issued_receipt(again) is None:  # whoever holds the claim did not show it
            ctx.receipts.show_issued(code, payment_id, signed_at=signed_at)
        current = again.get("email") or {}
        if current.get("status") in ("sent", "failed"):
            return "issued"
        raise DependencyUnavailable("Otro proceso está enviando este comprobante; se reintentará.",
                                    code="email_in_progress")
    recipient = str((payment.get("payer") or {}).get("email") or "")
    row = {"sk": f"EMAIL#{now_key}#{attempts:03d}#{attempt_id}", "at": now.isoformat(timespec="seconds"),
           "attempt": attempts, "to": recipient, "kind": "receipt", "folio": allocation["folio"]}
    try:
        # Eventually consistent (half the units): a complaint recorded in the last second may be
        # missed; the list stops mail over days, and SES's own account-level list backs it.
        if ctx.email_events is not None and recipient and ctx.email_events.is_suppressed(code, recipient,
                                                                                          consistent=False):
            raise DependencyUnavailable("El destinatario marcó como spam un correo anterior; no se le envían más.",
                                        code="email_suppressed", retryable=False)
        message = receipt_email(payment, allocation, config, pdf, ctx.public_api_url, kind=ctx.signer.kind_of(pdf))
        message = dataclasses.replace(message, tags={"municipality": code, "payment": payment_id,
                                                     "folio": str(allocation["folio"]), "attempt": attempt_id})
        message_id = ctx.mailer.send(message)
    except DependencyUnavailable as exc:
        unknown = exc.code == "email_outcome_unknown"  # SES may have accepted it: its events will say
        state = {"status": "unknown" if unknown else "retry" if exc.retryable else "failed", "reason": exc.message,
                 "reason_code": exc.code, "at": now_key, "attempts": attempts,
                 **({"attempt_id": attempt_id} if unknown else {})}
        outcome = "unknown" if unknown else "retry" if exc.retryable else "failed"
        ctx.receipts.record_email(code, payment_id, attempt_id=attempt_id, state=state,
                                  attempt_row={**row, "outcome": outcome, "reason": exc.message,
                                               "reason_code": exc.code})
        if exc.retryable:
            raise
        logger.warning("receipt e-mail refused; recorded for officials", extra={"reason_code": exc.code})
        return "email_failed"
    state = {"status": "sent", "message_id": message_id, "at": now_key, "attempts": attempts}
    _record_sent(code, payment_id, attempt_id, state, ctx)  # the settled state is the attempt's record
    logger.info("receipt e-mailed", extra={"folio": allocation["folio"]})
    return "sent"


def _outcome_unknown(previous: Mapping[str, Any], now_key: str) -> bool:
    """Whether the last attempt may or may not have been accepted by SES: its answer was lost, or
    its worker's lease ran out with the claim still open (the worker died around the send)."""
    status = previous.get("status")
    return bool(previous.get("attempt_id")) and (
        status == "unknown" or (status == "sending" and str(previous.get("lease_until", "")) < now_key))


def _settle_from_events(code: str, payment: Mapping[str, Any], allocation: Mapping[str, Any],
                        previous: Mapping[str, Any], ctx: ReceiptContext) -> str | None:
    """Settle an attempt of unknown outcome from SES's events for it: `sent` when SES accepted it
    (a send, delivery, bounce, complaint or delay event), `failed` when SES rejected it. While none
    arrived and the grace period runs, raise (retried later); after it, None: send again."""
    from chalicelib.services.email_events import ACCEPTED_TYPES

    payment_id = str(payment["payment_id"])
    attempt_id = str(previous["attempt_id"])
    events = ctx.email_events.of_payment(code, payment_id, attempt_id) if ctx.email_events is not None else []
    accepted = sorted((e for e in events if e.get("type") in ACCEPTED_TYPES), key=lambda e: str(e.get("at")))
    rejected = [e for e in events if e.get("type") == "reject"]
    now = ctx.clock()
    if not accepted and not rejected:
        since = max(str(previous.get("lease_until") or ""), str(previous.get("at") or ""))
        if since and now < datetime.fromisoformat(since.replace("Z", "+00:00")) + ctx.email_events_grace:
            raise DependencyUnavailable("Se esperan los eventos de SES del envío anterior; se reintentará.",
                                        code="email_awaiting_events")
        logger.warning("no SES event for an e-mail attempt of unknown outcome within the grace period; sending again")
        return None
    attempts = int(previous.get("attempts", 1))
    recipient = str((payment.get("payer") or {}).get("email") or "")
    row: dict[str, Any] | None = None  # a sent attempt's settled state is its record
    if accepted:
        message_id = str(accepted[0].get("message_id"))
        state = {"status": "sent", "message_id": message_id, "at": str(previous.get("at")), "attempts": attempts,
                 "confirmed_by": "ses_events"}
        outcome = "sent_confirmed_by_events"
    else:
        reason = f"SES rechazó el mensaje ({rejected[0].get('reason') or 'Reject'})."[:300]
        state = {"status": "failed", "reason": reason, "reason_code": "email_rejected", "at": str(previous.get("at")),
                 "attempts": attempts, "confirmed_by": "ses_events"}
        row = {"sk": f"EMAIL#{previous.get('at')}#{attempts:03d}#{attempt_id}", "at": now.isoformat(timespec="seconds"),
               "attempt": attempts, "to": recipient, "kind": "receipt", "folio": allocation["folio"],
               "confirmed_by": "ses_events", "outcome": "failed", "reason": reason, "reason_code": "email_rejected"}
        outcome = "email_failed"
    if not ctx.receipts.record_email(code, payment_id, attempt_id=attempt_id, state=state, attempt_row=row):
        raise DependencyUnavailable("El envío cambió mientras se consultaban sus eventos; se reintentará.",
                                    code="email_in_progress")
    logger.info("e-mail attempt of unknown outcome settled from SES events", extra={"outcome": outcome})
    return outcome


def _record_sent(code: str, payment_id: str, attempt_id: str, state: dict[str, Any], ctx: ReceiptContext) -> None:
    """SES has accepted the e-mail: record it, retrying here (not by redelivery, which would send
    it again) through a short database hiccup."""
    for pause in (*_RECORD_RETRIES_S, None):
        try:
            ctx.receipts.record_email(code, payment_id, attempt_id=attempt_id, state=state)
            return
        except DependencyUnavailable:
            if pause is None:
                logger.error("e-mail sent but not recorded; a redelivery after the lease may send it again")
                raise
            time.sleep(pause)
