"""Verification for anyone: a receipt by folio and code (its QR), an uploaded PDF against the one the
platform stored, a plate's permit for a year nationally, and the public keys of receipt tokens.

Nothing here returns personal data: no payer, RUT, e-mail or owner; a receipt shows what its
printed face shows minus the payer. A wrong folio, a wrong code and a receipt not issued yet get
one neutral `NotFound` (counted against the caller's address), so nobody learns which part was
wrong. Plate look-ups are counted per caller's address too (`PLATE_LOOKUPS_PER_WINDOW`), and
logged with the outcome only (no plate, no address).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.adapters.receipts_repo import ReceiptRepository
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.labels import INSTALLMENT_TEXT, display_name
from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.municipality_codes import PLATFORM
from chalicelib.domain.plates import parse_plate
from chalicelib.domain.receipt_codes import code_hash, normalize_code, verify_url
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.domain.signature_kinds import describe
from chalicelib.domain.verification import (
    INSTALLMENT_HALVES,
    RECEIPT_ANNULLED,
    RECEIPT_VALID,
    STATUS_TEXT,
    installment_valid_until,
    permit_status,
    permit_valid_until,
)
from chalicelib.observability import logger
from chalicelib.services.rate_limit import Limit, RateLimiter, source_subject

TRUST_CHAIN_PATH = "/v1/trust/ca.pem"
"""Where the platform CA's chain is published (for checking a receipt's signature offline)."""

PLATE_LOOKUPS_PER_WINDOW = 120
"""Plate look-ups one address may make per rate-limit window (an inspector's busy shift fits)."""
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MIN_YEAR = 2000
JWKS_PATH = "/v1/trust/jwks.json"

RECEIPT_STATUS_TEXT = {RECEIPT_VALID: "Comprobante válido", RECEIPT_ANNULLED: "Comprobante anulado"}
DEBT_TYPE_TEXT = {"patente": "Patente municipal", "aseo": "Derechos de aseo"}


class Municipalities(Protocol):
    def get(self, code: str) -> dict[str, Any] | None: ...


class PdfStore(Protocol):
    def get(self, key: str) -> bytes: ...


@dataclass
class VerificationContext:
    """What the public verification routes read (built by `chalicelib.wiring.verification_context`)."""

    receipts: ReceiptRepository
    payments: PaymentRepository
    municipalities: Municipalities
    store: PdfStore
    """The receipts bucket (for the SHA-256 of receipts issued before it was recorded)."""
    limiter: RateLimiter | None
    public_api_url: str
    today: date


# -- receipts -------------------------------------------------------------------------------------

def receipt_verification(folio: str, code: str, ctx: VerificationContext, *, source: str | None) -> dict[str, Any]:
    """What a receipt's verification page and JSON show (the same fields): state, municipality,
    folio, payment time, the items as printed, amount, signature and the stored PDF's SHA-256."""
    record = _receipt_record(folio, code, ctx, source=source)
    municipality = folio[:5]
    config = ctx.municipalities.get(municipality) or {}
    payment = ctx.payments.get(municipality, str(record.get("payment_id", ""))) or {}
    rows = ctx.payments.items(municipality, str(record.get("payment_id", ""))) if payment else []
    signature = record.get("signature") or {}
    status = RECEIPT_ANNULLED if record.get("status") == RECEIPT_ANNULLED else RECEIPT_VALID
    issued_at = str(record["issued_at"])
    normalized = normalize_code(code)
    body: dict[str, Any] = {
        "valid": status == RECEIPT_VALID,
        "status": status,
        "status_text": RECEIPT_STATUS_TEXT[status],
        "folio": folio,
        "municipality": {"code": municipality, "name": display_name(config) if config else municipality},
        "amount": int(record["amount"]),
        "amount_text": format_clp(int(record["amount"])),
        "issued_at": issued_at,
        "issued_on": issued_at[:10],
        "paid_at": str(payment.get("paid_at") or issued_at),
        "items": [_item_view(item, rows, index) for index, item in enumerate(payment.get("items", []))],
        # What the signature is, exactly (simple: the platform's CA; advanced: FirmaGob, accredited),
        # from the stored record; its trust chain is the one that kind validates against.
        "signature": {"status": signature.get("status", "signed"), "format": signature.get("format", "PAdES B-B"),
                      "signer": signature.get("signer", ""), "role": signature.get("role", ""),
                      "trust_chain": TRUST_CHAIN_PATH, **describe(signature)},
        "document": {"sha256": _document_sha256(record, payment, ctx), "algorithm": "SHA-256"},
        "verification_url": verify_url(ctx.public_api_url, folio, normalized),
        "keys": JWKS_PATH,
    }
    if status == RECEIPT_ANNULLED:
        body["annulment"] = {"at": record.get("annulled_at"), "reason": record.get("annulment_reason", "")}
    return body


def _receipt_record(folio: str, code: str, ctx: VerificationContext, *, source: str | None) -> dict[str, Any]:
    normalized = normalize_code(code)
    municipality = folio[:5]
    # The slot is taken before the look-up (atomic; docs/security.md, "Limits") and given back
    # only when the pair was right.
    attempt = ctx.limiter.attempt(municipality, ctx.limiter.receipt_code_limits(source)) if ctx.limiter else None
    record = ctx.receipts.get(municipality, folio)
    matches = hmac.compare_digest(code_hash(folio, normalized), str((record or {}).get("code_hash", "")))
    if record is None or not matches or record.get("status") not in ("issued", RECEIPT_ANNULLED):
        raise NotFound("No existe un comprobante con ese folio y código de verificación.", code="receipt_not_found")
    if attempt is not None:
        attempt.succeeded()
    return record


def _item_view(item: Mapping[str, Any], rows: list[dict[str, Any]], index: int) -> dict[str, Any]:
    row = next((r for r in rows if int(r.get("index", -1)) == index), None) or (rows[index] if index < len(rows)
                                                                                  else {})
    breakdown = row.get("breakdown") or {}
    view: dict[str, Any] = {"type": item.get("type"), "description": str(item.get("description", "")),
                            "amount": int(item.get("amount", 0)), "amount_text": format_clp(int(item.get("amount", 0)))}
    if item.get("type") == "permit":
        year, installment = int(item["year"]), str(item.get("installment"))
        until = installment_valid_until(year, installment)
        view.update({"plate": item.get("plate"), "year": year, "installment": installment,
                     "installment_text": INSTALLMENT_TEXT.get(installment, installment),
                     "vehicle_class": (breakdown.get("inputs") or {}).get("vehicle_class"),
                     "valid_from": date(year, 4, 1).isoformat(),
                     "valid_until": until.isoformat() if until else None,
                     "validity_text": f"{format_date(date(year, 4, 1))} al {format_date(until)}" if until else ""})
    else:
        view.update({"kind": item.get("debt_type"), "kind_text": DEBT_TYPE_TEXT.get(str(item.get("debt_type")), ""),
                     "roll": item.get("debt_id"), "period": breakdown.get("period")})
    return view


def _document_sha256(record: Mapping[str, Any], payment: Mapping[str, Any], ctx: VerificationContext) -> str | None:
    stored = record.get("document_sha256")
    if stored:
        return str(stored)
    key = (issued_receipt(payment) or {}).get("key")
    if not key:
        return None
    try:  # a receipt issued before the hash was recorded: hash the stored object
        return hashlib.sha256(ctx.store.get(str(key))).hexdigest()
    except NotFound:
        return None


def check_uploaded_pdf(folio: str, code: str, pdf: bytes, ctx: VerificationContext, *, source: str | None,
                       trust_roots_pem: bytes) -> dict[str, Any]:
    """The receipt's verification plus whether `pdf` is byte for byte the PDF the platform stored
    and whether its signature holds against the platform CA (`signing/verify.py`)."""
    if not pdf:
        raise InvalidInput("Adjunte el PDF del comprobante.", code="not_a_pdf", field="pdf")
    if len(pdf) > MAX_UPLOAD_BYTES:
        raise InvalidInput("El PDF supera los 5 MB.", code="body_too_large", field="pdf")
    if not pdf.startswith(b"%PDF-"):
        raise InvalidInput("El archivo no es un PDF.", code="not_a_pdf", field="pdf")
    body = receipt_verification(folio, code, ctx, source=source)
    from chalicelib.signing.verify import verify_receipt_pdf

    digest = hashlib.sha256(pdf).hexdigest()
    result = verify_receipt_pdf(pdf, trust_roots_pem)
    same = body["document"]["sha256"] is not None and hmac.compare_digest(digest, str(body["document"]["sha256"]))
    body["upload"] = {
        "sha256": digest, "matches": same, "signature_valid": result.valid, "intact": result.intact,
        "trusted": result.trusted, "signer": result.signer_common_name,
        "verdict": "authentic" if same and result.valid else "different",
        "verdict_text": ("El PDF es el comprobante emitido y su firma es válida." if same and result.valid else
                         "El PDF NO es el comprobante emitido por la plataforma (o su firma no es válida)."),
    }
    return body


# -- plates ---------------------------------------------------------------------------------------

def parse_year(raw: object, today: date) -> int:
    """A permit year from the query; 400 `invalid_year` for anything else."""
    text = str(raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) != 4 or not MIN_YEAR <= int(text) <= today.year + 1:
        raise InvalidInput(f"El año debe ser un número entre {MIN_YEAR} y {today.year + 1}.", code="invalid_year",
                           field="year")
    return int(text)


def plate_permit(raw_plate: object, raw_year: object, ctx: VerificationContext, *, source: str | None,
                 channel: str = "api") -> dict[str, Any]:
    """A plate's permit for a year, from the national record (the permit holds): paid, partially
    paid, not paid or annulled, where, with which folios, and until when it is valid. No owner."""
    plate = parse_plate(raw_plate, field="plate").value
    year = parse_year(raw_year, ctx.today)
    if ctx.limiter:
        limits = [Limit("plate-lookup-source", source_subject(source), PLATE_LOOKUPS_PER_WINDOW)]
        ctx.limiter.attempt(PLATFORM, limits)  # every look-up counts, found or not: never given back
    halves: dict[str, str] = {}
    installments: dict[str, dict[str, Any]] = {}
    municipality: str | None = None
    # The answer is the decision (an inspector's, a buyer's): the plate's holds as stored now, one Query.
    holds = ctx.payments.permit_holds(plate, consistent=True)
    for half in ("1", "2"):
        hold = holds.get(f"PERMIT#{plate}#{year}#{half}") or {}
        if hold.get("status") not in ("paid", RECEIPT_ANNULLED):
            continue
        code, payment_id = str(hold.get("municipality", "")), str(hold.get("payment_id", ""))
        payment = ctx.payments.get(code, payment_id) or {}
        receipt = issued_receipt(payment) or {}
        record = ctx.receipts.get(code, str(receipt["folio"])) if receipt.get("folio") else None
        annulled = hold.get("status") == RECEIPT_ANNULLED or (record or {}).get("status") == RECEIPT_ANNULLED
        halves[half] = RECEIPT_ANNULLED if annulled else "paid"
        municipality = municipality or code
        item: Mapping[str, Any] = next(
            (i for i in payment.get("items", []) if i.get("type") == "permit" and i.get("plate") == plate
             and int(i.get("year", 0)) == year and half in INSTALLMENT_HALVES.get(i.get("installment"), ())), {})
        installment = str(item.get("installment") or ("first" if half == "1" else "second"))
        installments.setdefault(payment_id, {"installment": installment, "folio": receipt.get("folio"),
                                             "paid_at": payment.get("paid_at"),
                                             "status": RECEIPT_ANNULLED if annulled else "paid"})
    status = permit_status(halves)
    until = permit_valid_until(year, [h for h, s in halves.items() if s == "paid"])
    config = ctx.municipalities.get(municipality) if municipality else None
    logger.info("plate look-up", extra={"channel": channel, "year": year, "outcome": status.value,
                                        "municipality": municipality or "-"})
    return {
        "plate": plate, "year": year, "status": status.value, "status_text": STATUS_TEXT[status],
        "municipality": ({"code": municipality, "name": display_name(config) if config else municipality}
                         if municipality else None),
        "installments": sorted(installments.values(), key=lambda i: str(i.get("paid_at") or "")),
        "valid_until": until.isoformat() if until else None,
        "valid_until_text": format_date(until) if until else "",
    }
