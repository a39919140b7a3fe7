"""Validate every signature of a signed PDF (receipt, batch, agreement) against trust roots.

Each signature is validated at the moment it declares (no timestamp authority is reachable, so
that is the signer's /M time): intact (digest matches the signed bytes), valid (the signature
value verifies), trusted (the certificate chains to a root and was within its validity then).
The last signature must cover the whole file; an earlier one covers its revision, and what was
added after it must be allowed by the document's DocMDP level (only further signatures): pyHanko's
difference analysis decides (`docmdp_ok`). Revocation is not judged here — the caller looks up
each certificate's status (serial) and compares the revocation time with the signing time.

Anything unreadable is a result with `valid=False` and a reason, never an exception.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    valid: bool
    intact: bool
    trusted: bool
    coverage: str
    """`entire_file` or `entire_revision` (a later signature followed) or `partial`."""
    changes_allowed: bool
    signer_common_name: str
    signer_serial_number: str
    """The subject's serialNumber: the official's RUN."""
    signer_profile: str
    """The subject's OU: the official's profile."""
    signer_organization: str
    signer_locality: str
    certificate_serial: str
    """Lower-case hex."""
    signing_time: datetime | None
    reason: str
    """Empty when valid; otherwise why not (English, for logs)."""
    issuer_common_name: str = ""
    """The CA that issued the signer's certificate."""
    trust_anchor: str = ""
    """The common name of the root the certificate chains to (empty when not trusted)."""


@dataclass(frozen=True)
class DocumentCheck:
    readable: bool
    signatures: tuple[SignatureCheck, ...]
    reason: str = ""


def verify_document_pdf(pdf: bytes, trust_roots_pem: bytes) -> DocumentCheck:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    from chalicelib.signing.certificates import split_pem

    roots = [_certificate(der) for der in split_pem(trust_roots_pem)] if trust_roots_pem.strip() else []
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        return DocumentCheck(readable=False, signatures=(), reason=f"unreadable PDF: {exc}")
    if not embedded:
        return DocumentCheck(readable=True, signatures=(), reason="no signatures")
    checks = [_check(sig, roots, last=index == len(embedded) - 1) for index, sig in enumerate(embedded)]
    return DocumentCheck(readable=True, signatures=tuple(checks))


def _check(embedded: object, roots: list[object], *, last: bool) -> SignatureCheck:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    name = str(getattr(embedded, "field_name", ""))
    moment = getattr(embedded, "self_reported_timestamp", None)
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=moment,
                                revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=context)  # type: ignore[arg-type]
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(field_name=name, valid=False, intact=False, trusted=False, coverage="partial",
                              changes_allowed=False, signer_common_name="", signer_serial_number="",
                              signer_profile="", signer_organization="", signer_locality="",
                              certificate_serial="", signing_time=moment,
                              reason=f"signature could not be validated: {exc}")
    coverage = {SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
                SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision"}.get(
        status.coverage, "partial") if status.coverage is not None else "partial"
    changes_allowed = coverage == "entire_file" or (coverage == "entire_revision" and bool(status.docmdp_ok))
    covered = coverage == "entire_file" if last else changes_allowed
    subject = status.signing_cert.subject.native
    reasons = [text for ok, text in ((status.intact, "content changed after signing (not intact)"),
                                     (status.valid, "signature value does not verify"),
                                     (status.trusted or not status.intact, "signer certificate not trusted"),
                                     (covered, "changes after this signature are not allowed"))
               if not ok]
    return SignatureCheck(
        field_name=name,
        valid=bool(status.intact and status.valid and status.trusted and covered),
        intact=bool(status.intact), trusted=bool(status.trusted), coverage=coverage,
        changes_allowed=changes_allowed,
        signer_common_name=str(subject.get("common_name", "")),
        signer_serial_number=str(subject.get("serial_number", "")),
        signer_profile=str(subject.get("organizational_unit_name", "")),
        signer_organization=str(subject.get("organization_name", "")),
        signer_locality=str(subject.get("locality_name", "")),
        certificate_serial=format(status.signing_cert.serial_number, "x"),
        signing_time=status.signer_reported_dt or moment,
        reason="; ".join(reasons),
        issuer_common_name=str(status.signing_cert.issuer.native.get("common_name", "")),
        trust_anchor=_anchor_name(status) if status.trusted else "")


def _anchor_name(status: object) -> str:
    path = getattr(status, "validation_path", None)
    try:
        name = path.trust_anchor.authority.name if path is not None else None
    except AttributeError:
        return ""
    return str(name.native.get("common_name", "")) if name is not None else ""


def _certificate(der: bytes) -> object:
    from asn1crypto import x509

    return x509.Certificate.load(der)
