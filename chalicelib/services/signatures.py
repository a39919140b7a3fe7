"""Officials' advanced electronic signature: enrollment (certificate + TOTP), confirmation,
revocation, certificate status, the signer identity the port needs, and verification of any
signed document (receipt, batch, agreement). Details in docs/signatures.md.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.kms_keys import KmsSecrets
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.officials_repo import OfficialRepository
from chalicelib.adapters.signatures_repo import SignaturesRepository
from chalicelib.domain.errors import ConditionFailed, Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.rut import parse_rut
from chalicelib.observability import logger
from chalicelib.services.auth import Official
from chalicelib.services.permissions import PROFILE_NAMES
from chalicelib.signing.ca import BlobStore
from chalicelib.signing.otp import OtpPolicy
from chalicelib.signing.port import SignerIdentity, SigningPort

if TYPE_CHECKING:
    from chalicelib.services.receipt_signer_admin import ReceiptSignerAdminContext

PLATFORM = "00000"
SIGNING_PROFILES = frozenset({"alcalde", "director_finanzas", "tesorero", "tesorero_subrogante",
                              "administrador_subdere"})
REVOCATION_REASONS = {
    "superseded": "Reemplazado por un nuevo certificado",
    "cessation_of_operation": "Cese de funciones (cuenta desactivada)",
    "affiliation_changed": "Cambio de perfil",
    "key_compromise": "Compromiso de la llave o del código",
}
MAX_VERIFY_BYTES = 5 * 1024 * 1024


@dataclass
class SignaturesContext:
    repo: SignaturesRepository
    kms: KmsSecrets
    store: BlobStore
    """Where certificates (and the CA) are kept: the receipts bucket."""
    municipalities: MunicipalityRepository
    port: SigningPort
    policy: OtpPolicy
    clock: Callable[[], datetime]
    officials: OfficialRepository
    """Where the official's RUN comes from: the record the administrator created, never the caller."""


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# -- enrollment ----------------------------------------------------------------------------------

def enrollment_view(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the console shows about an official's signature (no secret)."""
    if record is None:
        return {"enrolled": False, "status": "not_enrolled"}
    return {"enrolled": record.get("status") == "active", "status": record.get("status"),
            "name": record.get("name"), "run": record.get("run"), "profile": record.get("profile"),
            "profile_name": PROFILE_NAMES.get(str(record.get("profile")), record.get("profile")),
            "certificate": {"serial": record.get("serial"), "not_before": record.get("not_before"),
                            "not_after": record.get("not_after"),
                            "status_url": f"/v1/trust/certificates/{record.get('serial')}"},
            "enrolled_at": record.get("enrolled_at"), "confirmed_at": record.get("confirmed_at"),
            "revoked_at": record.get("revoked_at"), "revocation_reason": record.get("revocation_reason"),
            "otp_locked_until": record.get("otp_locked_until")}


def my_signature(official: Official, ctx: SignaturesContext) -> dict[str, Any]:
    """The official's enrollment, and what a signature made now is (`signs_with`)."""
    return {**enrollment_view(ctx.repo.enrollment(official.municipality, official.email)),
            "signs_with": ctx.port.kind.record()}


def enroll(official: Official, ctx: SignaturesContext, *, otp: str | None = None) -> dict[str, Any]:
    """Issue the official a certificate (a new KMS key) and a TOTP secret to confirm with a first
    code. The certificate's RUN is the one on the official's record, set by the administrator who
    created the account (docs/security.md): nothing the official sends names it. Enrolling again
    replaces (revokes, `superseded`) the previous certificate; replacing an active one takes a
    code from the current secret (`otp`), so a stolen session alone cannot swap the second factor
    — an official who lost the device asks to be deactivated and reactivated (which revokes),
    then enrolls anew. The answer carries the `otpauth://` URI once:
    it is not kept in clear anywhere."""
    from chalicelib.signing.certificates import CertificateHolder
    from chalicelib.signing.officials import CENTRAL_SUBJECT, issue_official_certificate
    from chalicelib.signing.otp import check_code, new_secret, provisioning_uri, seal

    if official.profile not in SIGNING_PROFILES:
        raise Forbidden("Su perfil no firma documentos con firma electrónica.", code="permission_denied")
    code, email = official.municipality, official.email
    compact = official_run(code, email, ctx)
    now = ctx.clock()
    existing = ctx.repo.enrollment(code, email)
    if existing and existing.get("status") == "active":
        if not otp:
            raise InvalidInput("Para reemplazar su firma vigente, ingrese un código de su aplicación actual.",
                               code="otp_required", field="otp")
        check_code(existing, otp, box=ctx.kms, state=ctx.repo, policy=ctx.policy, now=now)
    if code == PLATFORM:
        subject = CENTRAL_SUBJECT
    else:
        from chalicelib.signing.ca import SignerMunicipality

        config = ctx.municipalities.get(code) or {}
        subject = SignerMunicipality(code=code, name=str(config.get("name", code)),
                                     legal_name=str(config.get("legal_name") or f"Municipalidad {code}"))
    generation = int(existing.get("generation", 0)) + 1 if existing else 1
    issued = issue_official_certificate(
        ctx.kms, ctx.store, municipality=subject, email=email, generation=generation, now=now,
        official=CertificateHolder(name=official.name, run=compact, profile=official.profile))
    secret = new_secret()
    record = {
        "email": email, "municipality": code, "name": official.name, "run": compact, "profile": official.profile,
        "status": "pending", "generation": generation, "key_alias": issued.key_alias, "serial": issued.serial,
        "not_before": _utc(issued.not_before), "not_after": _utc(issued.not_after),
        "otp_secret": seal(ctx.kms, ctx.policy, code, email, secret), "otp_failures": 0,
        "enrolled_at": _utc(now), "version": int(existing.get("version", 0)) + 1 if existing else 1,
    }
    status_row = {"serial": issued.serial, "status": "good", "municipality": code,
                  "subject": {"name": official.name, "run": compact, "profile": official.profile,
                              "organization": subject.legal_name, "locality": subject.name},
                  "not_before": record["not_before"], "not_after": record["not_after"], "issued_at": _utc(now)}
    replaced = existing if existing and existing.get("status") != "revoked" else None
    revoke = ({"serial": replaced["serial"], "revoked_at": _utc(now), "reason": "superseded"}
              if replaced else None)
    audit = audit_row(code, actor=email, profile=official.profile, action="signature.enroll", target=email,
                      before={"serial": replaced["serial"]} if replaced else None,
                      after={"serial": issued.serial, "profile": official.profile, "generation": generation},
                      now=now)
    try:
        ctx.repo.save_enrollment(code, email, record, expect_version=int(existing["version"]) if existing else None,
                                 certificate_status=status_row, audit=audit, revoke=revoke)
    except ConditionFailed as exc:
        raise Conflict("Su enrolamiento cambió mientras lo hacía; intente de nuevo.",
                       code="enrollment_changed") from exc
    logger.info("official enrolled for signing", extra={"certificate_serial": issued.serial})
    account = f"{email} ({code})"
    return {**enrollment_view(record), "otpauth_uri": provisioning_uri(secret, account=account)}


def official_run(code: str, email: str, ctx: SignaturesContext) -> str:
    """The RUN on the official's record (409 `run_missing` when the administrator has not set it)."""
    record = ctx.officials.get(code, email) or {}
    if not record.get("run"):
        raise Conflict("Su cuenta no tiene RUN registrado; pida al administrador que lo registre.",
                       code="run_missing", field="run")
    return parse_rut(str(record["run"]), field="run").compact


def confirm(official: Official, otp: str, ctx: SignaturesContext) -> dict[str, Any]:
    """Activate a pending enrollment with a first correct code (same limits as signing)."""
    from chalicelib.signing.otp import check_code

    code, email = official.municipality, official.email
    record = ctx.repo.enrollment(code, email)
    if record is None or record.get("status") != "pending":
        raise Conflict("No hay un enrolamiento pendiente de confirmar.", code="nothing_to_confirm")
    now = ctx.clock()
    check_code(record, otp, box=ctx.kms, state=ctx.repo, policy=ctx.policy, now=now)
    audit = audit_row(code, actor=email, profile=official.profile, action="signature.confirm", target=email,
                      after={"serial": record["serial"]}, now=now)
    try:
        ctx.repo.update_enrollment(code, email, {"status": "active", "confirmed_at": _utc(now)},
                                   expect={"status": "pending", "serial": record["serial"]}, audit=audit)
    except ConditionFailed as exc:
        raise Conflict("Su enrolamiento cambió mientras lo confirmaba; intente de nuevo.",
                       code="enrollment_changed") from exc
    return enrollment_view({**record, "status": "active", "confirmed_at": _utc(now)})


def revoke(code: str, email: str, reason: str, *, actor: str, actor_profile: str, ctx: SignaturesContext
           ) -> bool:
    """Revoke the official's certificate (status row, enrollment, audit): nothing signs with its
    key again. False when there was nothing to revoke."""
    if reason not in REVOCATION_REASONS:
        raise InvalidInput("Motivo de revocación desconocido.", code="invalid_reason", field="reason")
    record = ctx.repo.enrollment(code, email)
    if record is None or record.get("status") == "revoked":
        return False
    now = ctx.clock()
    audit = audit_row(code, actor=actor, profile=actor_profile, action="signature.revoke", target=email,
                      before={"serial": record["serial"], "status": record.get("status")},
                      after={"status": "revoked", "reason": reason}, now=now)
    try:
        ctx.repo.update_enrollment(code, email, {"status": "revoked", "revoked_at": _utc(now),
                                                 "revocation_reason": reason},
                                   expect={"serial": record["serial"], "status": record["status"]}, audit=audit,
                                   revoke={"serial": record["serial"], "revoked_at": _utc(now), "reason": reason},
                                   remove=["otp_secret"])
    except ConditionFailed as exc:
        raise Conflict("El certificado cambió mientras se revocaba; intente de nuevo.",
                       code="enrollment_changed") from exc
    # The key stays enabled: no function may disable a key (docs/security.md, "KMS keys"); the
    # revoked enrollment is what refuses every later signature (PlatformCaSigning.usable_enrollment).
    logger.info("signing certificate revoked", extra={"certificate_serial": record["serial"], "reason": reason})
    return True


def official_changed(code: str, email: str, official: Mapping[str, Any], actor: Official, *,
                     signer_admin: ReceiptSignerAdminContext, ctx: SignaturesContext) -> None:
    """Called by the officials' administration after every change (and its retries), through the
    hook wiring gives it (`OfficialsAdminContext.on_change`): an official who left office (inactive) or
    whose profile is no longer the certificate's loses the certificate, and stops being the
    municipality's receipt signer. Repeat-safe."""
    from chalicelib.services import receipt_signer_admin

    receipt_signer_admin.official_changed(code, email, official, actor, signer_admin)
    record = ctx.repo.enrollment(code, email)
    if record is None or record.get("status") == "revoked":
        return
    if official.get("status") != "active":
        reason = "cessation_of_operation"
    elif official.get("profile") != record.get("profile"):
        reason = "affiliation_changed"
    else:
        return
    revoke(code, email, reason, actor=actor.email, actor_profile=actor.profile, ctx=ctx)


# -- signing ---------------------------------------------------------------------------------------

def identity(official: Official, ctx: SignaturesContext) -> SignerIdentity:
    """The attended signer behind an authenticated official (403 until enrolled)."""
    record = ctx.repo.enrollment(official.municipality, official.email)
    if record is None or record.get("status") == "pending":
        raise Forbidden("Enrole y confirme su firma electrónica antes de firmar.",
                        code="signature_not_enrolled")
    return SignerIdentity(municipality=official.municipality, email=official.email, name=official.name,
                          run=str(record["run"]), profile=official.profile, purpose="attended",
                          role=PROFILE_NAMES.get(official.profile, official.profile))


def certificate_serial(official: Official, ctx: SignaturesContext) -> str:
    record = ctx.repo.enrollment(official.municipality, official.email) or {}
    return str(record.get("serial", ""))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- status and verification (public) ----------------------------------------------------------------

def certificate_status(serial: str, repo: SignaturesRepository) -> dict[str, Any]:
    """The public status of a certificate the platform CA issued to an official."""
    normalized = serial.strip().lower().removeprefix("0x")
    if not normalized or len(normalized) > 40 or any(c not in "0123456789abcdef" for c in normalized):
        raise InvalidInput("El número de serie debe ser hexadecimal.", code="invalid_serial", field="serial")
    row = repo.certificate_status(normalized)
    if row is None:
        raise NotFound("La plataforma no emitió un certificado de firma con ese número de serie.",
                       code="certificate_not_found", field="serial")
    subject = row.get("subject") or {}
    return {"serial": normalized, "status": row.get("status"), "revoked_at": row.get("revoked_at"),
            "reason": row.get("reason"), "reason_text": REVOCATION_REASONS.get(str(row.get("reason"))),
            "not_before": row.get("not_before"), "not_after": row.get("not_after"),
            "subject": {"name": subject.get("name"), "profile": subject.get("profile"),
                        "profile_name": PROFILE_NAMES.get(str(subject.get("profile")), subject.get("profile")),
                        "organization": subject.get("organization"), "municipality": row.get("municipality")}}


def check_pdf(pdf: bytes) -> None:
    """400 unless `pdf` looks like a PDF of at most 5 MB (checked before anything is loaded)."""
    if len(pdf) > MAX_VERIFY_BYTES:
        raise InvalidInput("El documento excede 5 MB.", code="document_too_large")
    if not pdf.startswith(b"%PDF-"):
        raise InvalidInput("Envíe el documento PDF firmado (application/pdf).", code="not_a_pdf")


def verify_pdf(pdf: bytes, *, trust_roots_pem: bytes, repo: SignaturesRepository,
               firmagob_chain_pem: bytes = b"") -> dict[str, Any]:
    """Every signature of a signed PDF: who (name, RUN, profile, municipality), when, whether the
    document is intact and trusted, and whether the certificate was valid then — issued by the
    platform CA, within its validity, and not revoked before the signing time (its status row;
    receipts' certificates, which are replaced rather than revoked, have none and count as good) —
    or issued under FirmaGob's published chain (`firmagob_chain_pem`; FirmaGob keeps its own
    revocation). Each says what it is (`kind`): advanced when it chains to FirmaGob, simple when
    to the platform CA, nothing when it is not trusted."""
    from chalicelib.signing.verify_documents import verify_document_pdf

    check_pdf(pdf)
    firmagob_names = _subject_names(firmagob_chain_pem)
    check = verify_document_pdf(pdf, trust_roots_pem + b"\n" + firmagob_chain_pem if firmagob_chain_pem.strip()
                                else trust_roots_pem)
    signatures = []
    for sig in check.signatures:
        status = repo.certificate_status(sig.certificate_serial) if sig.certificate_serial else None
        revoked_at = str((status or {}).get("revoked_at") or "")
        when = sig.signing_time.astimezone(UTC).isoformat(timespec="seconds") if sig.signing_time else None
        # Signing times have one-second precision: a signature in the revocation's own second counts
        # as before it (the platform checks the status before each signature it makes).
        valid_then = bool(sig.trusted and (not revoked_at or (when is not None and when <= revoked_at)))
        signatures.append({
            "field": sig.field_name, "signer": sig.signer_common_name, "run": sig.signer_serial_number,
            "profile": sig.signer_profile, "profile_name": PROFILE_NAMES.get(sig.signer_profile, sig.signer_profile),
            "municipality": sig.signer_organization, "locality": sig.signer_locality,
            "signed_at": sig.signing_time.isoformat(timespec="seconds") if sig.signing_time else None,
            "intact": sig.intact, "trusted": sig.trusted, "coverage": sig.coverage,
            "certificate": {"serial": sig.certificate_serial,
                            "status": (status or {}).get("status", "good" if sig.trusted else "unknown"),
                            "revoked_at": revoked_at or None, "reason": (status or {}).get("reason"),
                            "valid_at_signing": valid_then},
            "kind": _kind(sig.trusted, sig.trust_anchor, sig.issuer_common_name, firmagob_names),
            "valid": bool(sig.valid and valid_then), "problem": sig.reason or (
                "" if valid_then else "certificate revoked before signing or not issued by the platform"),
        })
    valid = bool(signatures) and all(s["valid"] for s in signatures)
    return {"valid": valid, "signatures": signatures, "document_sha256": sha256_hex(pdf),
            "reason": check.reason or ("" if valid else "al menos una firma no es válida")}


def _subject_names(chain_pem: bytes) -> frozenset[str]:
    from asn1crypto import x509

    from chalicelib.signing.certificates import split_pem

    ders = split_pem(chain_pem) if chain_pem.strip() else []
    return frozenset(str(x509.Certificate.load(der).subject.native.get("common_name", "")) for der in ders)


def _kind(trusted: bool, anchor: str, issuer: str, firmagob_names: frozenset[str]) -> dict[str, Any] | None:
    """What a trusted signature is under Ley N° 19.799 (`domain/signature_kinds`); None if untrusted."""
    from chalicelib.domain.signature_kinds import firmagob_kind, platform_kind

    if not trusted:
        return None
    return (firmagob_kind(issuer) if anchor in firmagob_names else platform_kind()).record()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
