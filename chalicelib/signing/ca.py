"""The platform's certificate authority and each municipality's receipt-signing certificate.

Keys live in KMS: the CA's behind `alias/sem/platform-ca` (created by infra/bootstrap.py), each
municipality's receipt signer behind `alias/sem/<code>/receipts` (created here on first use).
Certificates are public data kept in an object store, under keys that start with the owner's
code (the platform's own is `00000`):

- `00000/signing/ca.pem` — the CA certificate (what `GET /v1/trust/ca.pem` serves);
- `<code>/signing/receipts.pem` — the municipality's current signer certificate followed by the
  CA certificate (the chain embedded in every signature);
- `<code>/signing/certs/<serial>.pem` and `00000/signing/certs/<serial>.pem` — every certificate
  ever issued, kept (nothing is deleted).

`ensure_*` functions are idempotent: they reuse what is stored while it still fits (same key,
same official, same CA, far enough from expiry) and issue a new certificate otherwise. The
worker's hot path uses `load_receipt_signer`, which reads one object and makes no KMS call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.errors import NotFound
from chalicelib.domain.municipality_codes import PLATFORM, tenant
from chalicelib.signing.certificates import (
    CertificateHolder,
    CertificateSubject,
    build_ca_certificate,
    build_signer_certificate,
    pem,
    signer_name,
    split_pem,
)
from chalicelib.signing.signing_keys import SigningKeys

PLATFORM_CA_ALIAS = "alias/sem/platform-ca"  # same alias as infra/bootstrap.py's CA_KEY_ALIAS
CA_COMMON_NAME = "SEM Autoridad Certificadora de la Plataforma"
CA_ORGANIZATION = "SEM - Plataforma de Servicios Municipales"
CA_VALIDITY = timedelta(days=3652)
CA_RENEW_BEFORE = timedelta(days=365)
SIGNER_VALIDITY = timedelta(days=730)
SIGNER_RENEW_BEFORE = timedelta(days=30)
PEM_CONTENT_TYPE = "application/x-pem-file"


class BlobStore(Protocol):
    """Bytes by key (the S3 ObjectStore fits): `get` raises `NotFound` when nothing is there."""

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, body: bytes, *, content_type: str) -> None: ...


@dataclass(frozen=True)
class SignerMunicipality:
    """What a receipt-signing certificate says about the municipality."""

    code: str
    name: str
    """Commune name for L, e.g. ``"Santiago"``."""
    legal_name: str
    """Registered name for O, e.g. ``"Ilustre Municipalidad de Santiago"``."""


@dataclass(frozen=True)
class SigningCredentials:
    """What signing needs: the KMS key and its certificate chain (no secret in here)."""

    key_id: str
    """KMS key id, ARN or alias of the signing key."""
    certificate_der: bytes
    chain_der: tuple[bytes, ...]
    """The issuing CA certificates, nearest first (here: just the platform CA)."""

    def chain_pem(self) -> bytes:
        """Signer certificate then CA certificates, PEM."""
        return b"".join(pem(der) for der in (self.certificate_der, *self.chain_der))


def ca_certificate_key() -> str:
    return f"{PLATFORM}/signing/ca.pem"


def receipt_signer_alias(code: str) -> str:
    return f"alias/sem/{tenant(code)}/receipts"


def receipt_signer_key(code: str) -> str:
    return f"{tenant(code)}/signing/receipts.pem"


def ensure_platform_ca(kms: SigningKeys, store: BlobStore, *, key_id: str = PLATFORM_CA_ALIAS,
                       now: datetime | None = None) -> bytes:
    """The CA certificate (DER), issued (self-signed by the KMS key `key_id`) when missing, when
    its key no longer matches, or when it has less than a year left."""
    from asn1crypto import x509

    now = now or datetime.now(UTC)
    public_key = kms.public_key_der(key_id)
    stored = _first_certificate(store, ca_certificate_key())
    if stored is not None:
        certificate = x509.Certificate.load(stored)
        if (certificate.public_key.dump() == public_key
                and _not_after(certificate) - now > CA_RENEW_BEFORE):
            return stored
    der = build_ca_certificate(public_key_der=public_key, sign=lambda tbs: kms.sign(key_id, tbs),
                               common_name=CA_COMMON_NAME, organization=CA_ORGANIZATION, now=now,
                               valid_for=CA_VALIDITY)
    _archive(store, PLATFORM, der)
    store.put(ca_certificate_key(), pem(der), content_type=PEM_CONTENT_TYPE)
    return der


def ca_chain_pem(store: BlobStore) -> bytes:
    """The CA chain as PEM — what `GET /v1/trust/ca.pem` serves. `NotFound` before the CA exists."""
    return store.get(ca_certificate_key())


def ensure_receipt_signer(kms: SigningKeys, store: BlobStore, *, municipality: SignerMunicipality,
                          official: CertificateHolder, ca_key_id: str = PLATFORM_CA_ALIAS,
                          now: datetime | None = None) -> SigningCredentials:
    """The municipality's receipt-signing key and certificate, created or renewed as needed.

    Creates the KMS key behind `alias/sem/<code>/receipts` if missing; issues a certificate naming
    `official` when none is stored, or when the stored one is for another key, another official
    or another CA, or expires within 30 days. Running it twice changes nothing.
    """
    from asn1crypto import x509

    now = now or datetime.now(UTC)
    ca_der = ensure_platform_ca(kms, store, key_id=ca_key_id, now=now)
    alias = receipt_signer_alias(municipality.code)
    kms.ensure_key(alias, f"SEM receipt signer {municipality.code}",
                   tags={"sem:purpose": "signing", "sem:municipality": municipality.code})
    public_key = kms.public_key_der(alias)
    subject = CertificateSubject(legal_name=municipality.legal_name, locality=municipality.name)

    stored = _read_chain(store, receipt_signer_key(municipality.code))
    if stored:
        certificate = x509.Certificate.load(stored[0])
        wanted = signer_name(official, subject)
        ca = x509.Certificate.load(ca_der)
        if (certificate.public_key.dump() == public_key
                and certificate.subject.dump() == wanted.dump()
                and certificate.authority_key_identifier == ca.key_identifier
                and stored[1:] == [ca_der]
                and _not_after(certificate) - now > SIGNER_RENEW_BEFORE):
            return SigningCredentials(key_id=alias, certificate_der=stored[0], chain_der=(ca_der,))

    der = build_signer_certificate(public_key_der=public_key, official=official, subject=subject,
                                   issuer_certificate_der=ca_der,
                                   sign=lambda tbs: kms.sign(ca_key_id, tbs), now=now,
                                   valid_for=SIGNER_VALIDITY)
    credentials = SigningCredentials(key_id=alias, certificate_der=der, chain_der=(ca_der,))
    _archive(store, municipality.code, der)
    store.put(receipt_signer_key(municipality.code), credentials.chain_pem(), content_type=PEM_CONTENT_TYPE)
    return credentials


def load_receipt_signer(store: BlobStore, code: str) -> SigningCredentials:
    """The municipality's stored receipt-signing credentials (one read, no KMS call).

    `NotFound` when `ensure_receipt_signer` has not run for it yet.
    """
    chain = _read_chain(store, receipt_signer_key(code))
    if not chain:
        raise NotFound("La municipalidad no tiene un certificado de firma de comprobantes.",
                       code="signing_certificate_not_found")
    return SigningCredentials(key_id=receipt_signer_alias(code), certificate_der=chain[0],
                              chain_der=tuple(chain[1:]))


def _read_chain(store: BlobStore, key: str) -> list[bytes]:
    try:
        return split_pem(store.get(key))
    except NotFound:
        return []


def _first_certificate(store: BlobStore, key: str) -> bytes | None:
    chain = _read_chain(store, key)
    return chain[0] if chain else None


def _archive(store: BlobStore, owner: str, der: bytes) -> None:
    from asn1crypto import x509

    serial = format(x509.Certificate.load(der).serial_number, "x")
    store.put(f"{owner}/signing/certs/{serial}.pem", pem(der), content_type=PEM_CONTENT_TYPE)


def _not_after(certificate: Any) -> datetime:
    moment: datetime = certificate["tbs_certificate"]["validity"]["not_after"].native
    return moment
