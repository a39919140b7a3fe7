"""Officials' signing keys and certificates, and the KMS key that encrypts their TOTP secrets.

Each enrolled official (alcalde, director de finanzas, tesorero, tesorero subrogante, and the
central administrator under `00000`) gets an RSA-3072 `SIGN_VERIFY` key of their own in KMS,
behind `alias/sem/<code>/officials/<h>-<generation>` (`h`: a hash of the e-mail, so no personal data
sits in key names), tagged `sem:purpose=signing`; the private half never leaves KMS. The platform
CA issues the certificate (CN name, serialNumber RUN, OU profile, O/L municipality). A revoked
official's key is never used again: signing goes through the enrollment, which refuses a revoked
one (`PlatformCaSigning.usable_enrollment`); re-enrolling makes a new generation (a new key). No
function may disable or delete a key (docs/security.md, "KMS keys"): that is an operator's act.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.signing.ca import (
    PEM_CONTENT_TYPE,
    PLATFORM_CA_ALIAS,
    BlobStore,
    SignerMunicipality,
    ensure_platform_ca,
)
from chalicelib.signing.certificates import CertificateHolder, CertificateSubject, build_signer_certificate, pem
from chalicelib.signing.signing_keys import SigningKeys

OFFICIAL_CERT_VALIDITY = timedelta(days=730)

CENTRAL_SUBJECT = SignerMunicipality(
    code="00000", name="Santiago", legal_name="Subsecretaría de Desarrollo Regional y Administrativo")


@dataclass(frozen=True)
class IssuedCertificate:
    key_alias: str
    certificate_der: bytes
    ca_der: bytes
    serial: str
    """Lower-case hex, as the status route and the archive name it."""
    not_before: datetime
    not_after: datetime


def official_key_alias(code: str, email: str, generation: int) -> str:
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
    return f"alias/sem/{code}/officials/{digest}-{generation}"


def serial_hex(certificate_der: bytes) -> str:
    from asn1crypto import x509

    return format(x509.Certificate.load(certificate_der).serial_number, "x")


def issue_official_certificate(kms: SigningKeys, store: BlobStore, *, municipality: SignerMunicipality,
                               official: CertificateHolder, email: str, generation: int, now: datetime,
                               ca_key_id: str = PLATFORM_CA_ALIAS) -> IssuedCertificate:
    """Create the official's KMS key (generation `generation`) and have the CA certify it."""
    from asn1crypto import x509

    ca_der = ensure_platform_ca(kms, store, key_id=ca_key_id, now=now)
    alias = official_key_alias(municipality.code, email, generation)
    kms.ensure_key(alias, f"SEM official signer {municipality.code}",
                   tags={"sem:purpose": "signing", "sem:municipality": municipality.code,
                         "sem:holder": "official"})
    public_key = kms.public_key_der(alias)
    subject = CertificateSubject(legal_name=municipality.legal_name, locality=municipality.name)
    der = build_signer_certificate(public_key_der=public_key, official=official, subject=subject,
                                   issuer_certificate_der=ca_der, sign=lambda tbs: kms.sign(ca_key_id, tbs),
                                   now=now, valid_for=OFFICIAL_CERT_VALIDITY)
    certificate = x509.Certificate.load(der)
    serial = format(certificate.serial_number, "x")
    store.put(f"{municipality.code}/signing/certs/{serial}.pem", pem(der), content_type=PEM_CONTENT_TYPE)
    validity = certificate["tbs_certificate"]["validity"]
    return IssuedCertificate(key_alias=alias, certificate_der=der, ca_der=ca_der, serial=serial,
                             not_before=validity["not_before"].native, not_after=validity["not_after"].native)

