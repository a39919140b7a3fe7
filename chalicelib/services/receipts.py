"""Issue a paid payment's receipt: folio, signed PDF in S3, e-mail — each step once.

`issue_receipt` is what the receipts worker runs for one job. SQS delivers at least once and a
step can fail half-way, so every step first looks at what the payment already records and does
only what is missing, with a conditional write that makes a concurrent twin give way:

1. folio — `receipt_issue` on the payment, allocated in one transaction with the municipality's
   yearly counter and the receipt record (`ReceiptRepository.allocate_folio`);
2. PDF — built, signed (one KMS call) and stored at `<cut>/receipts/<year>/<folio>.pdf` unless that
   object exists already (then the stored bytes are reused, so the e-mail carries the same file);
3. issued — `receipt` on the payment (what `GET /v1/payments/{id}` shows) and the receipt record
   marked issued with the stored PDF's SHA-256 (what `GET /v1/receipts/verify` answers,
   `services/verification.py`), with a `receipt_issued` event;
4. e-mail — claimed with a lease on the payment's `email` attribute, sent once through SES, settled
   as `sent` or `failed` (permanent refusals are recorded, not retried); every attempt is kept as
   an `EMAIL#…` row for officials. An earlier attempt whose outcome is unknown (its worker died
   after SES's answer, or the answer was lost) is settled from SES's own events for it, and sent
   again only when none arrived within the grace period (docs/email-events.md).

The receipt is issued (step 3) before the e-mail is tried: a citizen whose address bounces can
still download and verify it. The residual duplicate-e-mail window is described in
docs/receipts.md. Heavy libraries (reportlab, pyHanko, Jinja2) are imported inside functions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from chalicelib.adapters.mailer import Attachment, OutgoingEmail
from chalicelib.adapters.payments_repo import PaymentRepository, event_row
from chalicelib.adapters.receipts_repo import FolioRequest, ReceiptRepository
from chalicelib.domain.errors import DependencyUnavailable, Forbidden, InvalidInput, NotFound
from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.payments import utc_key
from chalicelib.domain.rut import parse_rut
from chalicelib.domain.senders import sender_allowed
from chalicelib.domain.signature_kinds import SignatureKind
from chalicelib.observability import logger
from chalicelib.ttl_cache import TtlCache

if TYPE_CHECKING:  # the signing modules are for the worker: the API's import chain skips them
    from chalicelib.adapters.kms_keys import KmsKeys
    from chalicelib.receipts.model import Branding
    from chalicelib.signing.ca import BlobStore, SigningCredentials
    from chalicelib.signing.certificates import Official
    from chalicelib.signing.port import SignerIdentity, SigningPort

EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "assets" / "email"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
FOLIO_PATTERN = r"^[0-9]{5}-[0-9]{4}-[0-9]{6,9}$"
DEFAULT_SIGNER_NAME = "Tesorero(a) municipal"
DEFAULT_SIGNER_ROLE = "Firmante por defecto (sin designación municipal)"
TRUST_CHAIN_PATH = "/v1/trust/ca.pem"
TOKEN_FRAGMENT = "t"  # noqa: S105 - the name of a URL fragment parameter, not a secret
"""The QR's URL carries the signed token in its fragment (`#t=…`): a phone opening it never sends it."""

METHOD_TEXT = {
    "credito": "Tarjeta de crédito",
    "debito": "Tarjeta de débito",
    "casas_comerciales": "Tarjeta de casa comercial",
    "transferencia": "Transferencia bancaria",
}
ROLE_TEXT = {
    "tesorero": "Tesorero(a) Municipal",
    "tesorero_subrogante": "Tesorero(a) Municipal Subrogante",
    "director_finanzas": "Director(a) de Administración y Finanzas",
    "alcalde": "Alcalde(sa)",
}
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")
INSTALLMENT_TEXT = {"full": "Pago total", "first": "Primera cuota", "second": "Segunda cuota"}
CHECK_TEXT = {"insurance": "SOAP", "inspection": "revisión técnica", "emissions": "gases", "fines": "multas impagas"}


# -- ports ----------------------------------------------------------------------------------------

class Municipalities(Protocol):
    def get(self, code: str) -> dict[str, Any] | None: ...

    def current(self, code: str) -> dict[str, Any] | None: ...


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

    def is_suppressed(self, code: str, address: str) -> bool: ...


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


# -- verification codes ---------------------------------------------------------------------------

def new_verification_code() -> str:
    """10 random Crockford base-32 symbols (50 bits; no I, L, O, U), as ``XXXXX-XXXXX``."""
    symbols = "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))
    return f"{symbols[:5]}-{symbols[5:]}"


def normalize_code(text: str) -> str:
    """A code as typed (any case, spaces or hyphens, O for 0, I/L for 1) in its printed form;
    `InvalidInput` when it cannot be one."""
    compact = re.sub(r"[\s-]", "", text or "").upper().translate(str.maketrans("OIL", "011"))
    if len(compact) != CODE_LENGTH or any(c not in CROCKFORD for c in compact):
        raise InvalidInput("El código de verificación tiene 10 caracteres (p. ej. K7P39-XQ2M4).",
                           code="invalid_verification_code", field="code")
    return f"{compact[:5]}-{compact[5:]}"


def code_hash(folio: str, code: str) -> str:
    """What the receipt record keeps of the code (the code itself lives only on the payment)."""
    return hashlib.sha256(f"{folio}|{code}".encode()).hexdigest()


def privacy_url(base: str, code: str) -> str:
    """The privacy notice naming the municipality (docs/personal-data.md)."""
    return f"{base.rstrip('/')}/v1/privacy?{urlencode({'municipality': code})}"


def verify_url(base: str, folio: str, code: str) -> str:
    return f"{base.rstrip('/')}/v1/receipts/verify?{urlencode({'folio': folio, 'code': code})}"


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
    if payment.get("receipt") and email_done:
        return "already_complete"

    # Read as stored now, not from the per-process cache: the receipt carries the look, sender and
    # signer the municipality has at the moment it is issued (a change shows on the next receipt).
    config = ctx.municipalities.current(code)
    if config is None:
        raise DependencyUnavailable("La municipalidad del pago no está configurada.", code="municipality_missing",
                                    retryable=False)
    allocation = payment.get("receipt_issue") or _allocate(code, payment_id, payment, ctx)
    pdf: bytes | None = None
    if not payment.get("receipt"):
        try:
            pdf = _stored_or_new_pdf(code, payment, allocation, config, ctx)
        except SigningRefused as exc:  # sent again it would be refused again: the sweep re-queues it
            logger.error("receipt signature refused", extra={"outcome": "signing_refused", "reason_code": exc.code})
            return "signing_refused"
        _mark_issued(code, payment_id, allocation, config, ctx, document_sha256=hashlib.sha256(pdf).hexdigest(),
                     kind=ctx.signer.kind_of(pdf))
    if email_done:
        return "issued"
    if pdf is None:
        pdf = ctx.store.get(str(allocation["key"]))
    return _deliver(code, payment, allocation, config, pdf, ctx)


def _allocate(code: str, payment_id: str, payment: Mapping[str, Any], ctx: ReceiptContext) -> dict[str, Any]:
    issued_at = ctx.clock()
    verification = new_verification_code()
    request = FolioRequest(year=issued_at.year, verification_code=verification,
                           issued_at=issued_at.isoformat(timespec="seconds"), amount=int(payment["amount"]))
    allocation = ctx.receipts.allocate_folio(code, payment_id, request, hash_code=code_hash)
    if allocation is None:  # a twin delivery allocated first: use its folio
        again = ctx.payments.get(code, payment_id) or {}
        if not again.get("receipt_issue"):
            raise DependencyUnavailable("El pago cambió durante la emisión; se reintentará.", code="payment_changed")
        return dict(again["receipt_issue"])
    logger.info("receipt folio allocated", extra={"folio": allocation["folio"]})
    return allocation


def _stored_or_new_pdf(code: str, payment: Mapping[str, Any], allocation: Mapping[str, Any],
                       config: Mapping[str, Any], ctx: ReceiptContext) -> bytes:
    key = str(allocation["key"])
    if ctx.store.exists(key):
        return ctx.store.get(key)  # stored by an earlier attempt: the e-mail attaches that very file
    from chalicelib.receipts.pdf import build_receipt_pdf

    items = ctx.payments.items(code, str(payment["payment_id"]))
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


def _mark_issued(code: str, payment_id: str, allocation: Mapping[str, Any], config: Mapping[str, Any],
                 ctx: ReceiptContext, *, document_sha256: str, kind: SignatureKind) -> None:
    official, role = designated_official(config, ctx.default_signer_run)
    receipt = {"folio": allocation["folio"], "verification_code": allocation["verification_code"],
               "key": allocation["key"], "issued_at": allocation["issued_at"]}
    now_iso = ctx.clock().isoformat(timespec="seconds")
    event = event_row(code, payment_id, now_iso, "receipt_issued", {"folio": allocation["folio"],
                                                                     "key": allocation["key"]})
    signature = {"status": "signed", "format": "PAdES B-B", "signer": official.name, "role": role,
                 "signed_at": now_iso, **kind.record()}
    ctx.receipts.mark_issued(code, payment_id, receipt, signature=signature, event=event,
                             document_sha256=document_sha256)


# -- e-mail ---------------------------------------------------------------------------------------

_RECORD_RETRIES_S = (0.2, 0.5, 1.0)


def _deliver(code: str, payment: Mapping[str, Any], allocation: Mapping[str, Any], config: Mapping[str, Any],
             pdf: bytes, ctx: ReceiptContext) -> str:
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
                                    lease_until=utc_key(now + ctx.email_lease), attempts=attempts):
        current = (ctx.payments.get(code, payment_id) or {}).get("email") or {}
        if current.get("status") in ("sent", "failed"):
            return "issued"
        raise DependencyUnavailable("Otro proceso está enviando este comprobante; se reintentará.",
                                    code="email_in_progress")
    recipient = str((payment.get("payer") or {}).get("email") or "")
    row = {"sk": f"EMAIL#{now_key}#{attempts:03d}#{attempt_id}", "at": now.isoformat(timespec="seconds"),
           "attempt": attempts, "to": recipient, "kind": "receipt", "folio": allocation["folio"]}
    try:
        if ctx.email_events is not None and recipient and ctx.email_events.is_suppressed(code, recipient):
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
        event = None if exc.retryable else event_row(code, payment_id, now.isoformat(timespec="seconds"),
                                                     "receipt_email_failed", {"reason": exc.code})
        ctx.receipts.record_email(code, payment_id, attempt_id=attempt_id, state=state,
                                  attempt_row={**row, "outcome": outcome, "reason": exc.message,
                                               "reason_code": exc.code}, event=event)
        if exc.retryable:
            raise
        logger.warning("receipt e-mail refused; recorded for officials", extra={"reason_code": exc.code})
        return "email_failed"
    state = {"status": "sent", "message_id": message_id, "at": now_key, "attempts": attempts}
    event = event_row(code, payment_id, now.isoformat(timespec="seconds"), "receipt_emailed",
                      {"message_id": message_id})
    _record_sent(code, payment_id, attempt_id, state, {**row, "outcome": "sent", "message_id": message_id},
                 event, ctx)
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
    row = {"sk": f"EMAIL#{previous.get('at')}#{attempts:03d}#{attempt_id}", "at": now.isoformat(timespec="seconds"),
           "attempt": attempts, "to": recipient, "kind": "receipt", "folio": allocation["folio"],
           "confirmed_by": "ses_events"}
    if accepted:
        message_id = str(accepted[0].get("message_id"))
        state = {"status": "sent", "message_id": message_id, "at": str(previous.get("at")), "attempts": attempts,
                 "confirmed_by": "ses_events"}
        event = event_row(code, payment_id, now.isoformat(timespec="seconds"), "receipt_emailed",
                          {"message_id": message_id, "confirmed_by": "ses_events"})
        row = {**row, "outcome": "sent", "message_id": message_id}
        outcome = "sent_confirmed_by_events"
    else:
        reason = f"SES rechazó el mensaje ({rejected[0].get('reason') or 'Reject'})."[:300]
        state = {"status": "failed", "reason": reason, "reason_code": "email_rejected", "at": str(previous.get("at")),
                 "attempts": attempts, "confirmed_by": "ses_events"}
        event = event_row(code, payment_id, now.isoformat(timespec="seconds"), "receipt_email_failed",
                          {"reason": "email_rejected"})
        row = {**row, "outcome": "failed", "reason": reason, "reason_code": "email_rejected"}
        outcome = "email_failed"
    if not ctx.receipts.record_email(code, payment_id, attempt_id=attempt_id, state=state, attempt_row=row,
                                     event=event):
        raise DependencyUnavailable("El envío cambió mientras se consultaban sus eventos; se reintentará.",
                                    code="email_in_progress")
    logger.info("e-mail attempt of unknown outcome settled from SES events", extra={"outcome": outcome})
    return outcome


def _record_sent(code: str, payment_id: str, attempt_id: str, state: dict[str, Any], row: dict[str, Any],
                 event: dict[str, Any], ctx: ReceiptContext) -> None:
    """SES has accepted the e-mail: record it, retrying here (not by redelivery, which would send
    it again) through a short database hiccup."""
    for pause in (*_RECORD_RETRIES_S, None):
        try:
            ctx.receipts.record_email(code, payment_id, attempt_id=attempt_id, state=state, attempt_row=row,
                                      event=event)
            return
        except DependencyUnavailable:
            if pause is None:
                logger.error("e-mail sent but not recorded; a redelivery after the lease may send it again")
                raise
            time.sleep(pause)


def mail_addresses(payment: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[str, str]:
    """The sender (the municipality's, verified for it: docs/security.md) and the payer's address
    of a document e-mailed for a payment; a permanent failure (not retried) when either is unusable."""
    sender = str(config.get("sender_email") or "")
    if not sender:
        raise DependencyUnavailable("La municipalidad no tiene configurado un remitente de correo.",
                                    code="sender_not_configured", retryable=False)
    if not sender_allowed(sender, config.get("sender_identities") or []):  # checked again at sending
        raise DependencyUnavailable("El remitente de la municipalidad no está verificado para ella.",
                                    code="sender_not_verified", retryable=False)
    recipient = str((payment.get("payer") or {}).get("email") or "")
    if "@" not in recipient:
        raise DependencyUnavailable("El pago no tiene una dirección de correo válida.", code="recipient_invalid",
                                    retryable=False)
    return sender, recipient


def receipt_email(payment: Mapping[str, Any], allocation: Mapping[str, Any], config: Mapping[str, Any],
                  pdf: bytes, public_api_url: str, *, kind: SignatureKind | None = None) -> OutgoingEmail:
    """The receipt e-mail (Spanish, text and HTML from the templates, the signed PDF attached);
    `kind`: what the PDF's signature is, stated as such (unknown: just "firmado electrónicamente")."""
    sender, recipient = mail_addresses(payment, config)
    payer = payment.get("payer") or {}
    branding = _branding(config)
    folio = str(allocation["folio"])
    filename = f"comprobante-{folio}.pdf"
    issued = datetime.fromisoformat(str(allocation["issued_at"]))
    values = {
        "municipality": {"name": display_name(config), "legal_name": config.get("legal_name", ""),
                         "address": config.get("address", "")},
        "primary_color": branding.primary_color, "secondary_color": branding.secondary_color,
        "payer_name": payer.get("name", ""), "folio": folio, "verification_code": allocation["verification_code"],
        "issued_on": format_date(issued.date()), "total": format_clp(int(payment["amount"])),
        "items": [{"description": i.get("description", ""), "amount": format_clp(int(i.get("amount", 0)))}
                  for i in payment.get("items", [])],
        "method": METHOD_TEXT.get(str(payment.get("method")), str(payment.get("method") or "")),
        "authorization_code": payment.get("authorization_code") or "",
        "verify_url": verify_url(public_api_url, folio, str(allocation["verification_code"])),
        "privacy_url": privacy_url(public_api_url, str(payment.get("municipality") or folio[:5])),
        "filename": filename,
        "signature_sentence": kind.sentence() if kind else "firmado electrónicamente conforme a la Ley N° 19.799",
    }
    env = _templates()
    return OutgoingEmail(
        sender=sender, sender_name=display_name(config), recipient=recipient,
        subject=f"Comprobante de pago {folio} — {display_name(config)}",
        text=env.get_template("receipt.txt.j2").render(values),
        html=env.get_template("receipt.html.j2").render(values),
        attachments=(Attachment(filename=filename, content=pdf),))


@cache
def _templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(EMAIL_TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True,
                                                    default=False),
                       keep_trailing_newline=True)


# -- the document ---------------------------------------------------------------------------------

def display_name(config: Mapping[str, Any]) -> str:
    """``"Municipalidad de Santiago"`` (or the configured display name)."""
    return str(config.get("display_name") or f"Municipalidad de {config.get('name', config.get('code', ''))}")


def _branding(config: Mapping[str, Any], logo: bytes | None = None) -> Branding:
    from chalicelib.receipts.branding import branding_with_defaults

    return branding_with_defaults(dict(config.get("branding") or {}), logo)


def receipt_document(payment: Mapping[str, Any], item_rows: list[dict[str, Any]], config: Mapping[str, Any],
                     allocation: Mapping[str, Any], logo: bytes | None, public_api_url: str) -> Any:
    """The `ReceiptDocument` of a paid payment and its folio."""
    from chalicelib.receipts.model import GatewayInfo, Municipality, ReceiptDocument, ReceiptItem

    rows = {int(r.get("index", i)): r for i, r in enumerate(item_rows)}
    items = []
    for index, item in enumerate(payment["items"]):
        breakdown = (rows.get(index) or {}).get("breakdown") or {}
        items.append(ReceiptItem(description=str(item["description"]), amount=int(item["amount"]),
                                 breakdown=tuple(breakdown_lines(item, breakdown))))
    folio = str(allocation["folio"])
    code = str(allocation["verification_code"])
    return ReceiptDocument(
        municipality=Municipality(code=str(payment["municipality"]), name=display_name(config),
                                  legal_name=str(config.get("legal_name", "")), address=str(config.get("address", "")),
                                  region=str(config.get("region", ""))),
        branding=_branding(config, logo),
        folio=folio,
        issued_at=datetime.fromisoformat(str(allocation["issued_at"])),
        payer_rut=parse_rut(payment["payer"]["rut"]).formatted,
        payer_name=str(payment["payer"]["name"]),
        items=tuple(items),
        total=int(payment["amount"]),
        gateway=GatewayInfo(reference=str(payment.get("order_id") or ""),
                            authorization_code=str(payment.get("authorization_code") or ""),
                            payment_method=METHOD_TEXT.get(str(payment.get("method")), str(payment.get("method")))),
        verification_code=code,
        verify_url=verify_url(public_api_url, folio, code),
        extra_notes=tuple(_notes(payment)),
    )


def breakdown_lines(item: Mapping[str, Any], breakdown: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The lines printed under an item: how its amount was computed, in Spanish."""
    lines: list[tuple[str, str]] = []
    if item.get("type") == "permit":
        base = breakdown.get("base") or {}
        if base.get("kind") == "tasacion" and base.get("value") is not None:
            lines.append(("Tasación fiscal del vehículo (SII)", format_clp(int(base["value"]))))
        utm = breakdown.get("utm") or {}
        if utm.get("value") is not None:
            lines.append((f"UTM de {_month_text(str(utm.get('month', '')))}", format_clp(int(utm["value"]))))
        for line in breakdown.get("lines") or []:
            if line.get("amount") is not None and line.get("label") != "Total a pagar":
                lines.append((str(line["label"]), format_clp(int(line["amount"]))))
        lines.append(("Cuota", INSTALLMENT_TEXT.get(str(item.get("installment")), str(item.get("installment")))))
        checks = breakdown.get("checks") or {}
        if checks and all((c or {}).get("status") == "ok" for c in checks.values()):
            names = ", ".join(CHECK_TEXT.get(name, name) for name in checks)
            lines.append(("Requisitos verificados en línea", f"{names}: en regla"))
    else:
        if breakdown.get("period"):
            lines.append(("Período", str(breakdown["period"])))
        if breakdown.get("due_date"):
            lines.append(("Vencimiento", format_date(datetime.fromisoformat(str(breakdown["due_date"])).date())))
        if breakdown.get("source"):
            lines.append(("Origen", str(breakdown["source"]).capitalize()))
    return lines


def _month_text(month: str) -> str:
    """``"2027-01"`` → ``"enero de 2027"``."""
    match = re.match(r"^(\d{4})-(\d{2})$", month)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return month
    return f"{MONTHS[int(match.group(2)) - 1]} de {match.group(1)}"


def _notes(payment: Mapping[str, Any]) -> list[str]:
    notes = []
    for item in payment.get("items", []):
        if item.get("type") == "permit" and item.get("installment") == "first":
            notes.append(f"Permiso {item.get('year')} {item.get('plate')}: primera cuota; la segunda cuota queda "
                         "pendiente de pago.")
    return notes


# -- signing --------------------------------------------------------------------------------------

def designated_official(config: Mapping[str, Any], default_run: str) -> tuple[Official, str]:
    """The official who signs the municipality's receipts (its `receipt_signer` setting), or the
    clearly-labelled default; with the role printed in the signature stamp."""
    from chalicelib.signing.certificates import Official

    data = config.get("receipt_signer") or {}
    if data.get("name") and data.get("run"):
        profile = str(data.get("profile") or "tesorero")
        role = str(data.get("role") or ROLE_TEXT.get(profile, profile.replace("_", " ").capitalize()))
        return Official(name=str(data["name"]), run=parse_rut(data["run"]).compact, profile=profile), role
    return Official(name=DEFAULT_SIGNER_NAME, run=parse_rut(default_run).compact, profile="tesorero"), \
        DEFAULT_SIGNER_ROLE


class SigningRefused(DependencyUnavailable):
    """The signing service refused the receipt for a reason a retry does not change (its
    configuration, the designation, the document): the job ends; the payments sweep queues it
    again at its recheck time (`PaymentContext.receipt_recheck`), after the cause is fixed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code, retryable=False)


class ReceiptSigner:
    """Signs receipts through the signing port, unattended, as the municipality's designated
    official — with the platform CA (default: the official's certificate from the platform CA,
    key in KMS) or with FirmaGob ("Desatendido", the official's RUN and the municipality's entity).

    One port call per receipt. With the platform CA the credentials are made or checked once per
    process and municipality (`ensure_receipt_signer`: a few KMS and S3 calls) and then reused;
    each receipt costs one KMS `Sign`. `kind` is what the signature is (`domain/signature_kinds`).
    """

    def __init__(self, kms: KmsKeys, store: BlobStore, *, default_run: str, cache_ttl_s: float = 3600,
                 refused_runs: frozenset[str] = frozenset(), port: SigningPort | None = None,
                 kind: SignatureKind | None = None) -> None:
        from chalicelib.domain.signature_kinds import platform_kind
        from chalicelib.signing.port import PlatformCaReceiptSigning

        self._kms = kms
        self._store = store
        self._default_run = default_run
        self._refused_runs = refused_runs
        """RUNs this process never signs with (in production: the built-in demo RUN)."""
        self._credentials: TtlCache[SigningCredentials] = TtlCache(cache_ttl_s)
        self._port: SigningPort = port or PlatformCaReceiptSigning(kms, self._credentials_of)
        self.kind: SignatureKind = kind or platform_kind()
        self._signed_here: dict[str, SignatureKind] = {}
        """SHA-256 of the PDFs this process just signed → their kind (`kind_of` without parsing)."""

    def credentials(self, code: str, config: Mapping[str, Any]) -> tuple[SigningCredentials, Official, str]:
        """The platform CA's receipt credentials of the municipality's designated official."""
        official, role = self._official(config)
        identity = self._identity(code, config, official, role)
        return self._credentials_of(identity), official, role

    def _official(self, config: Mapping[str, Any]) -> tuple[Official, str]:
        official, role = designated_official(config, self._default_run)
        if official.run in self._refused_runs or (self.kind.backend == "firmagob"
                                                  and official.name == DEFAULT_SIGNER_NAME):
            # FirmaGob signs only for the official the municipality designated (and registered
            # for unattended signing): the default signer is never sent. The job waits.
            logger.error("receipt signer not designated; refusing to sign", extra={"outcome": "signer_not_designated"})
            raise DependencyUnavailable("La municipalidad no tiene un firmante de comprobantes designado; no se "
                                        "firma con el RUN de demostración ni con el firmante por defecto.",
                                        code="receipt_signer_not_designated")
        return official, role

    @staticmethod
    def _identity(code: str, config: Mapping[str, Any], official: Official, role: str) -> SignerIdentity:
        from chalicelib.signing.port import SignerIdentity

        return SignerIdentity(municipality=code, email="", name=official.name, run=official.run,
                              profile=official.profile, purpose="unattended", role=role,
                              organization=str(config.get("legal_name") or display_name(config)),
                              locality=str(config.get("name", code)))

    def _credentials_of(self, signer: SignerIdentity) -> SigningCredentials:
        from chalicelib.signing.ca import SignerMunicipality, ensure_receipt_signer
        from chalicelib.signing.certificates import Official

        official = Official(name=signer.name, run=signer.run, profile=signer.profile)
        municipality = SignerMunicipality(code=signer.municipality, name=signer.locality or signer.municipality,
                                          legal_name=signer.organization)
        key = f"{signer.municipality}|{official.run}|{official.name}|{official.profile}|{municipality.legal_name}"

        def load() -> SigningCredentials:
            if official.name == DEFAULT_SIGNER_NAME:
                logger.warning("municipality has no designated receipt signer; signing as the default")
            return ensure_receipt_signer(self._kms, self._store, municipality=municipality, official=official)

        return self._credentials.get_or_load(key, load)

    def sign(self, pdf: bytes, *, code: str, config: Mapping[str, Any], description: str = "comprobante.pdf"
             ) -> bytes:
        """The receipt `pdf` signed by the designated official (one call to the port)."""
        from chalicelib.receipts.pdf import SIGNATURE_BOX
        from chalicelib.signing.pades import FIELD_NAME, REASON
        from chalicelib.signing.port import Appearance, DocumentToSign

        official, role = self._official(config)
        document = DocumentToSign(pdf=pdf, kind="receipt", description=description,
                                  appearance=Appearance(field_name=FIELD_NAME, box=SIGNATURE_BOX, reason=REASON,
                                                        location=display_name(config), certify="no_changes"))
        try:
            signed = self._port.sign(document, self._identity(code, config, official, role))
        except (Forbidden, InvalidInput) as exc:  # FirmaGob's 4xx, a missing entity, an unfit document
            raise SigningRefused(exc.message, code=exc.code) from exc
        except DependencyUnavailable as exc:  # 5xx, 429, timeouts: retried; other refusals: not
            if exc.retryable:
                raise
            raise SigningRefused(exc.message, code=exc.code) from exc
        if len(self._signed_here) >= 64:
            self._signed_here.pop(next(iter(self._signed_here)))
        self._signed_here[hashlib.sha256(signed).hexdigest()] = self.kind
        return signed

    def kind_of(self, pdf: bytes) -> SignatureKind:
        """What the signature of a signed receipt is, from its certificate's issuer: the platform
        CA's, or else FirmaGob's (a receipt signed before a switch of backend keeps its kind)."""
        from chalicelib.domain.signature_kinds import PLATFORM_CA_NAME, firmagob_kind, platform_kind
        from chalicelib.signing.verify import signer_issuer

        known = self._signed_here.get(hashlib.sha256(pdf).hexdigest())
        if known is not None:  # signed a moment ago by this process: no need to parse it (~8 ms)
            return known
        issuer = signer_issuer(pdf)
        if issuer == self.kind.issuer:
            return self.kind
        return platform_kind() if issuer in ("", PLATFORM_CA_NAME) else firmagob_kind(issuer)


class MunicipalLogos:
    """Municipalities' logos from the assets bucket (`<cut>/branding/logo.png`), cached briefly."""

    def __init__(self, store: BlobStore, *, cache_ttl_s: float = 300) -> None:
        self._store = store
        self._cache: TtlCache[bytes | None] = TtlCache(cache_ttl_s)

    def logo(self, code: str) -> bytes | None:
        def load() -> bytes | None:
            try:
                return self._store.get(f"{code}/branding/logo.png")
            except NotFound:
                return None

        return self._cache.get_or_load(code, load)
