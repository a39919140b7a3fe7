"""X.509 certificates whose signatures are made by KMS keys (the issuer's key never leaves KMS).

`cryptography`'s CertificateBuilder signs only with a private key in memory, so certificates are
assembled with asn1crypto (pyHanko's own ASN.1 library): build the TBSCertificate, have KMS sign
its DER bytes (RSASSA-PKCS1-v1_5 with SHA-256, RAW message), wrap both into the Certificate.

Profiles:
- platform CA: self-signed, basicConstraints CA (pathLen 0), keyUsage keyCertSign + cRLSign;
- receipt signer: the municipality's designated official — CN name, serialNumber RUN,
  O municipality's legal name, OU profile, L municipality, C CL; keyUsage digitalSignature +
  nonRepudiation (critical), not a CA.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Sign = Callable[[bytes], bytes]
"""Signs the DER bytes given (sha256WithRSAEncryption) and returns the raw signature."""

CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class CertificateHolder:
    """The official a signing certificate names."""

    name: str
    """Full name, as on the identity card: the certificate's CN."""
    run: str
    """RUN with check digit, compact form ``"12345678-5"``: the certificate's serialNumber."""
    profile: str
    """The official's profile (e.g. ``"tesorero"``): the certificate's OU."""


@dataclass(frozen=True)
class CertificateSubject:
    """Where the official works, for the certificate's O and L."""

    legal_name: str
    """The municipality's registered name: O."""
    locality: str
    """The municipality (commune) name: L."""


def build_ca_certificate(*, public_key_der: bytes, sign: Sign, common_name: str, organization: str,
                         now: datetime, valid_for: timedelta) -> bytes:
    """A self-signed CA certificate (DER) for the key whose public half is `public_key_der`."""
    from asn1crypto import keys, x509

    public_key = keys.PublicKeyInfo.load(public_key_der)
    name = x509.Name.build({
        "country_name": "CL",
        "organization_name": organization,
        "organizational_unit_name": "Autoridad Certificadora",
        "common_name": common_name,
    })
    key_id = public_key.sha1
    extensions = [
        _extension("basic_constraints", {"ca": True, "path_len_constraint": 0}, critical=True),
        _extension("key_usage", {"key_cert_sign", "crl_sign"}, critical=True),
        _extension("key_identifier", key_id),
        _extension("authority_key_identifier", {"key_identifier": key_id}),
    ]
    return _assemble(subject=name, issuer=name, public_key=public_key, extensions=extensions,
                     sign=sign, now=now, valid_for=valid_for)


def build_signer_certificate(*, public_key_der: bytes, official: CertificateHolder, subject: CertificateSubject,
                             issuer_certificate_der: bytes, sign: Sign, now: datetime,
                             valid_for: timedelta) -> bytes:
    """A certificate (DER) for an official's signing key, issued by the CA in `issuer_certificate_der`
    and signed by `sign` (the CA's KMS key). Its validity never outlasts the CA's."""
    from asn1crypto import keys, x509

    issuer = x509.Certificate.load(issuer_certificate_der)
    public_key = keys.PublicKeyInfo.load(public_key_der)
    name = signer_name(official, subject)
    extensions = [
        _extension("basic_constraints", {"ca": False}, critical=True),
        _extension("key_usage", {"digital_signature", "non_repudiation"}, critical=True),
        _extension("key_identifier", public_key.sha1),
        _extension("authority_key_identifier", {"key_identifier": issuer.key_identifier}),
    ]
    issuer_end = issuer["tbs_certificate"]["validity"]["not_after"].native
    valid_for = min(valid_for, issuer_end - now)
    return _assemble(subject=name, issuer=issuer.subject, public_key=public_key, extensions=extensions,
                     sign=sign, now=now, valid_for=valid_for)


def signer_name(official: CertificateHolder, subject: CertificateSubject) -> Any:
    """The distinguished name (asn1crypto `Name`) of an official's signing certificate."""
    from asn1crypto import x509

    return x509.Name.build({
        "country_name": "CL",
        "organization_name": subject.legal_name,
        "organizational_unit_name": official.profile,
        "locality_name": subject.locality,
        "serial_number": official.run,
        "common_name": official.name,
    })


def pem(der: bytes) -> bytes:
    """A certificate's DER as PEM text (bytes)."""
    from asn1crypto import pem as asn1_pem

    encoded: bytes = asn1_pem.armor("CERTIFICATE", der)
    return encoded


def split_pem(data: bytes) -> list[bytes]:
    """The DER of every certificate in a PEM bundle, in order."""
    from asn1crypto import pem as asn1_pem

    return [der for kind, _, der in asn1_pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]


def _assemble(*, subject: Any, issuer: Any, public_key: Any, extensions: list[Any], sign: Sign,
              now: datetime, valid_for: timedelta) -> bytes:
    from asn1crypto import algos, core, x509

    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa", "parameters": core.Null()})
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": secrets.randbits(127) | (1 << 126),  # positive, 16 bytes, unpredictable
        "signature": algorithm,
        "issuer": issuer,
        "validity": {"not_before": _time(now - CLOCK_SKEW), "not_after": _time(now + valid_for)},
        "subject": subject,
        "subject_public_key_info": public_key,
        "extensions": extensions,
    })
    signature = sign(tbs.dump())
    certificate = x509.Certificate({
        "tbs_certificate": tbs, "signature_algorithm": algorithm, "signature_value": signature,
    })
    der: bytes = certificate.dump()
    return der


def _extension(extn_id: str, value: Any, *, critical: bool = False) -> Any:
    from asn1crypto import x509

    return x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": value})


def _time(moment: datetime) -> Any:
    from asn1crypto import x509

    moment = moment.replace(microsecond=0)
    return x509.Time({"utc_time" if moment.year < 2050 else "general_time": moment})
