"""Validate a signed receipt against the platform's CA chain, with pyHanko's validator.

A receipt is valid when it carries exactly one signature, that signature covers the whole file
(nothing appended after signing), its digest matches the signed bytes (intact), the signature
value verifies (valid), and the signer certificate chains to one of the given trust roots with
the key usage a signature needs (trusted). Any other case — including a file that no longer
parses — is a result with `valid=False` and a reason, never an exception.

pyHanko is imported inside the function: importing this module costs nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VerificationResult:
    """What a validator says about a signed receipt."""

    valid: bool
    """The bottom line: intact, cryptographically valid, trusted and covering the whole file."""
    intact: bool
    trusted: bool
    covers_whole_file: bool
    signer_subject: str
    """The signer certificate's subject, e.g. ``"Common Name: Juan Pérez Soto, …"``."""
    signer_common_name: str
    signer_serial_number: str
    """The subject's serialNumber attribute: the official's RUN."""
    signing_time: datetime | None
    """The time the signer declared (no timestamp authority is used)."""
    reason: str
    """Empty when valid; otherwise why not, in English for logs."""


def verify_receipt_pdf(pdf: bytes, trust_roots_pem: bytes, *, at: datetime | None = None) -> VerificationResult:
    """Validate the single signature of `pdf` against the CA certificates in `trust_roots_pem`.

    `at` is the moment the certificates must be valid at (now by default).
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from chalicelib.signing.certificates import split_pem

    roots = [_load_certificate(der) for der in split_pem(trust_roots_pem)]
    if not roots:
        return _invalid("no trust roots given")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        return _invalid(f"unreadable PDF: {exc}")
    if len(signatures) != 1:
        return _invalid(f"expected one signature, found {len(signatures)}")
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=at,
                                revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(signatures[0], signer_validation_context=context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        return _invalid(f"signature could not be validated: {exc}")

    subject = status.signing_cert.subject
    names = subject.native
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    valid = bool(status.bottom_line and status.intact and status.valid and status.trusted and whole)
    reasons = [text for ok, text in ((status.intact, "content changed after signing (not intact)"),
                                     (status.valid, "signature value does not verify"),
                                     (status.trusted or not status.intact, "signer certificate not trusted"),
                                     (whole, "signature does not cover the whole file"),
                                     (bool(status.bottom_line), "pyHanko's bottom line is negative"))
               if not ok]
    return VerificationResult(
        valid=valid,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        covers_whole_file=whole,
        signer_subject=subject.human_friendly,
        signer_common_name=str(names.get("common_name", "")),
        signer_serial_number=str(names.get("serial_number", "")),
        signing_time=status.signer_reported_dt,
        reason="; ".join(dict.fromkeys(reasons)),
    )


def signer_issuer(pdf: bytes) -> str:
    """The common name of the CA that issued the certificate of `pdf`'s last signature (empty
    when it has none or cannot be read). Not a validation: what the signature claims."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        certificate = signatures[-1].signer_cert if signatures else None
    except (PdfError, ValueError, KeyError, TypeError, IndexError):
        return ""
    return str(certificate.issuer.native.get("common_name", "")) if certificate is not None else ""


def _load_certificate(der: bytes) -> object:
    from asn1crypto import x509

    return x509.Certificate.load(der)


def _invalid(reason: str) -> VerificationResult:
    return VerificationResult(valid=False, intact=False, trusted=False, covers_whole_file=False,
                              signer_subject="", signer_common_name="", signer_serial_number="",
                              signing_time=None, reason=reason)
