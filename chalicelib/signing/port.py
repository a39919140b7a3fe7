"""The signing port: sign(document PDF, signer = official + purpose, optional one-time code) →
signed PDF — the shape of FirmaGob's API (docs/signatures.md), so a deployment
switches between the platform CA and FirmaGob by configuration (`SEM_SIGNING_BACKEND`).

Rules every adapter obeys (`SigningPort.sign` checks them before the adapter runs):
- attended signatures (batches, corrections, agreements) need the official's one-time code;
- unattended signatures are for receipts only, by the municipality's designated official
  (the receipt-signing profiles); anything else unattended is refused (403).

Adapters: `PlatformCaSigning` here (keys in KMS, certificates from the platform CA, the code
checked against the official's enrolled TOTP secret) and `FirmaGobSigning` in `firmagob.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.signature_kinds import SignatureKind, platform_kind
from chalicelib.signing.ca import BlobStore, SigningCredentials
from chalicelib.signing.otp import OtpPolicy, OtpState, SecretBox, check_code
from chalicelib.signing.pades_documents import Certify
from chalicelib.signing.signing_keys import SigningKeys

Purpose = Literal["attended", "unattended"]
DocumentKind = Literal["receipt", "batch", "batch_correction", "agreement", "refund_order"]

UNATTENDED_KINDS: frozenset[str] = frozenset({"receipt"})
RECEIPT_SIGNER_PROFILES: frozenset[str] = frozenset({"tesorero", "tesorero_subrogante", "director_finanzas"})
"""Profiles a municipality may designate for unattended receipt signing."""


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs, and how."""

    municipality: str
    email: str
    name: str
    run: str
    """RUN with check digit, compact: ``"12345678-5"``."""
    profile: str
    purpose: Purpose
    role: str
    """The role printed in the visible stamp, e.g. ``"Tesorero(a)"``."""
    organization: str = ""
    """The municipality's legal name (the subject of certificates the platform CA issues)."""
    locality: str = ""
    """The municipality's name (idem)."""


@dataclass(frozen=True)
class Appearance:
    """Where and how the signature shows in the PDF."""

    field_name: str
    box: tuple[int, int, int, int]
    reason: str
    location: str
    certify: Certify
    existing_field: bool = False
    """The document already has this (empty) signature field."""


@dataclass(frozen=True)
class DocumentToSign:
    pdf: bytes
    kind: DocumentKind
    description: str
    """A short name for the file (FirmaGob's `description`)."""
    appearance: Appearance


class SigningPort(ABC):
    """Sign a PDF for an official. Subclasses implement `_sign`; `kind` says what the
    signatures they make are (Ley N° 19.799: simple with the platform CA)."""

    @property
    def kind(self) -> SignatureKind:
        return platform_kind()

    def sign(self, document: DocumentToSign, signer: SignerIdentity, *, otp: str | None = None) -> bytes:
        check_use(document, signer, otp)
        return self._sign(document, signer, otp)

    @abstractmethod
    def _sign(self, document: DocumentToSign, signer: SignerIdentity, otp: str | None) -> bytes: ...


def check_use(document: DocumentToSign, signer: SignerIdentity, otp: str | None) -> None:
    """Refuse what no adapter may do: unattended outside receipts, attended without a code."""
    if signer.purpose == "unattended":
        if document.kind not in UNATTENDED_KINDS:
            raise Forbidden("La firma desatendida solo se usa para comprobantes de pago.",
                            code="unattended_not_allowed")
        if signer.profile not in RECEIPT_SIGNER_PROFILES:
            raise Forbidden("Ese perfil no puede firmar comprobantes en forma desatendida.",
                            code="unattended_not_allowed")
        return
    if document.kind == "receipt":
        raise Forbidden("Los comprobantes se firman en forma desatendida por el funcionario designado.",
                        code="attended_receipt_not_allowed")
    if not otp:
        raise InvalidInput("Ingrese el código de un solo uso de su aplicación de autenticación.",
                           code="otp_required", field="otp")


class Enrollments(OtpState, Protocol):
    def enrollment(self, code: str, email: str) -> dict[str, Any] | None: ...


class PlatformCaSigning(SigningPort):
    """The platform CA: the official's KMS key and certificate, the code checked here."""

    def __init__(self, kms: SigningKeys, store: BlobStore, enrollments: Enrollments, secrets: SecretBox,
                 policy: OtpPolicy, clock: Callable[[], datetime]) -> None:
        self._kms = kms
        self._store = store
        self._enrollments = enrollments
        self._secrets = secrets
        self._policy = policy
        self._clock = clock

    def _sign(self, document: DocumentToSign, signer: SignerIdentity, otp: str | None) -> bytes:
        from chalicelib.signing.ca import ca_certificate_key, load_receipt_signer
        from chalicelib.signing.certificates import split_pem
        from chalicelib.signing.pades_documents import sign_document_pdf

        now = self._clock()
        if signer.purpose == "unattended":
            return sign_receipt_with_ca(document, signer, load_receipt_signer(self._store, signer.municipality),
                                        self._kms)
        else:
            record = self.usable_enrollment(signer, now)
            check_code(record, otp, box=self._secrets, state=self._enrollments, policy=self._policy, now=now)
            certificate = split_pem(self._store.get(f"{signer.municipality}/signing/certs/{record['serial']}.pem"))
            ca = split_pem(self._store.get(ca_certificate_key()))
            credentials = SigningCredentials(key_id=str(record["key_alias"]), certificate_der=certificate[0],
                                             chain_der=tuple(ca[:1]))
        look = document.appearance
        return sign_document_pdf(document.pdf, credentials=credentials, kms=self._kms, field_name=look.field_name,
                                 box=look.box, reason=look.reason, location=look.location, signer_name=signer.name,
                                 signer_role=signer.role, certify=look.certify, now=now,
                                 new_field=not look.existing_field)

    def usable_enrollment(self, signer: SignerIdentity, now: datetime) -> dict[str, Any]:
        """The official's enrollment if it can sign now: confirmed, for this profile, its
        certificate not revoked and within its validity (403 otherwise)."""
        record = self._enrollments.enrollment(signer.municipality, signer.email)
        if record is None or record.get("status") == "pending":
            raise Forbidden("Enrole su firma electrónica antes de firmar.", code="signature_not_enrolled")
        if record.get("status") == "revoked":
            raise Forbidden("Su certificado de firma fue revocado; enrole su firma nuevamente.",
                            code="certificate_revoked")
        if record.get("profile") != signer.profile or record.get("run") != signer.run:
            raise Forbidden("Su certificado no corresponde a su perfil actual; enrole su firma nuevamente.",
                            code="certificate_profile_mismatch")
        if not (str(record["not_before"]) <= _utc(now) < str(record["not_after"])):
            raise Forbidden("Su certificado de firma no está vigente; enrole su firma nuevamente.",
                            code="certificate_expired")
        return record


class PlatformCaReceiptSigning(SigningPort):
    """The platform CA for the receipts worker: unattended receipts only, with the municipality's
    receipt-signing credentials as `credentials` makes or finds them (`ensure_receipt_signer`,
    cached per process by the caller)."""

    def __init__(self, kms: SigningKeys, credentials: Callable[[SignerIdentity], SigningCredentials]) -> None:
        self._kms = kms
        self._credentials = credentials

    def _sign(self, document: DocumentToSign, signer: SignerIdentity, otp: str | None) -> bytes:
        if signer.purpose != "unattended":
            raise Forbidden("Este firmante solo firma comprobantes en forma desatendida.",
                            code="attended_not_supported")
        return sign_receipt_with_ca(document, signer, self._credentials(signer), self._kms)


def sign_receipt_with_ca(document: DocumentToSign, signer: SignerIdentity, credentials: SigningCredentials,
                         kms: SigningKeys) -> bytes:
    """A receipt signed with the platform CA's receipt credentials (one KMS call), once their
    certificate is checked to name the designated official."""
    from chalicelib.signing.pades import sign_receipt_pdf

    if _subject_serial(credentials.certificate_der) != signer.run:
        raise Forbidden("Solo el funcionario designado por la municipalidad firma sus comprobantes.",
                        code="not_designated_signer")
    look = document.appearance
    return sign_receipt_pdf(document.pdf, credentials=credentials, kms=kms, signer_name=signer.name,
                            signer_role=signer.role, location=look.location, box=look.box, reason=look.reason)


def _utc(moment: datetime) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).isoformat(timespec="seconds")


@lru_cache(maxsize=512)  # one per receipt certificate: parsing it costs ~0.6 ms a receipt
def _subject_serial(certificate_der: bytes) -> str:
    from asn1crypto import x509

    return str(x509.Certificate.load(certificate_der).subject.native.get("serial_number", ""))


def not_found_is_not_enrolled(exc: NotFound) -> Forbidden:
    return Forbidden("No hay un certificado de firma para este funcionario.", code="signature_not_enrolled")
